/**
 * The multimodal part of the provider contract, registered into each provider's suite
 * (`runProviderContract(spec, [multimodalCases(spec.multimodal)])`), through the gateway over HTTP with the
 * official `openai` client:
 * - image-native: a user message with an image_url part, a generated PNG as a data: URL and an https URL,
 *   reaches the upstream in its documented form (native-forms.ts); a provider that cannot take the URL
 *   answers 400 invalid_request_error naming the part, and the upstream is never called;
 * - audio-in: an input_audio part (a generated WAV, base64) reaches the upstream natively and is heard, or
 *   is refused with 400 naming the part (never dropped silently); audio-in-empty: empty data is a 400
 *   naming it, for every provider, before any upstream call;
 * - audio-out: `modalities: ['text', 'audio']` with `audio: {voice, format}` answers `message.audio`
 *   {id, data (a WAV), transcript, expires_at} with null content, or 400 param `modalities` (plain and
 *   stream request), never a text-only 200; audio-out-stream: `delta.audio` pieces (id first, expiry
 *   last) that assemble to the unstreamed answer; audio-out-cache: through the exact cache, a stored
 *   streamed audio answer replays intact, streamed and not;
 * - tool-result-image: a tool result followed by a user message with an image keeps both, in order.
 *
 * Differences between providers live in the MultimodalSpec (contract.test.ts), never in the cases.
 */
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { cache, type CachePlugin } from '../../plugins/cache/index.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { PNG_BASE64, PNG_DATA_URL, PNG_HTTPS_URL, WAV_BASE64, wavInfo } from './media-fixtures.js';
import { findNative, type NativeForms } from './native-forms.js';
import { apiError, collect, type ContractContext, marker, TOOLS } from './provider-contract.js';

/** A documented refusal (400 invalid_request_error naming the parameter): why, citing the plugin's rule. */
export interface Refusal {
  refused: string;
}

export interface MultimodalSpec {
  /** The upstream's documented content forms; absent for in-process providers (mock). */
  native?: NativeForms;
  /** input_audio parts: taken, or refused. */
  audioIn: true | Refusal;
  /** Audio output (`modalities` with "audio"): answered with message.audio / delta.audio, or refused. */
  audioOut: true | Refusal;
  /** Why the provider may answer a tool_choice "none" request with a tool call anyway (else it must not). */
  mayCallToolsAnyway?: string;
}

type Params = OpenAI.ChatCompletionCreateParamsNonStreaming;
/** message.audio / delta.audio as OpenAI documents them. */
type Audio = { id?: string; data?: string; transcript?: string; expires_at?: number };
type Part = OpenAI.ChatCompletionContentPart;

const AUDIO_OUT: Pick<Params, 'modalities' | 'audio'> = {
  modalities: ['text', 'audio'],
  audio: { voice: 'alloy', format: 'wav' },
};
const audioPart = (data: string): Part => ({ type: 'input_audio', input_audio: { data, format: 'wav' } });
const imagePart = (url: string): Part => ({ type: 'image_url', image_url: { url } });

/** 400 invalid_request_error in OpenAI's error shape whose param matches `param`. */
function assertRefused(e: InstanceType<typeof OpenAI.APIError>, param: RegExp, where: string): void {
  assert.ok(e instanceof OpenAI.BadRequestError, `${where}: 400 BadRequestError, got ${e.status} ${e.message}`);
  const body = e.error as { message?: unknown; type?: unknown; param?: unknown } | undefined;
  assert.equal(body?.type, 'invalid_request_error', `${where}: type`);
  assert.equal(typeof body?.message, 'string', `${where}: a message`);
  assert.match(String(body?.param), param, `${where}: param names the parameter (${body?.message})`);
}

export function multimodalCases(mm: MultimodalSpec) {
  return (c: ContractContext): void => {
    const { spec, kase } = c;
    const client = () => c.client();
    const user = (mk: string, ...parts: Part[]): Params => ({
      model: c.model,
      messages: [{ role: 'user', content: [{ type: 'text', text: `Describe this ${mk}` }, ...parts] }],
    });
    /** The upstream never saw a request carrying `mk` (refused before any call). */
    const notSent = (mk: string) => {
      const hit = c.upstream()?.requests.find((r) => JSON.stringify(r.body ?? '').includes(mk));
      assert.equal(hit, undefined, `the upstream was not called for ${mk}`);
    };
    /** The upstream request carrying `mk` holds `want` (its documented form). */
    const sentNative = (mk: string, want: unknown, what: string) => {
      const body = c.upstreamWith(mk);
      if (body === undefined) return; // in-process: the canonical request itself was answered
      assert.ok(want !== undefined, `${what}: the spec gives no native form`);
      assert.ok(
        findNative(body, want),
        `${what} reaches the upstream as ${JSON.stringify(want).slice(0, 200)}: ${JSON.stringify(body).slice(0, 600)}`,
      );
    };
    const refusals = (x: true | Refusal) => (x === true ? false : `refused as documented: ${x.refused}`);

    // ------------------------------------------------------------ images in

    kase('image-native', 'images in: a PNG data: URL and an https URL reach the upstream natively', async () => {
      for (const url of [PNG_DATA_URL, PNG_HTTPS_URL]) {
        const mk = marker();
        const cap = url === PNG_DATA_URL ? spec.caps.imageDataUrl : spec.caps.imageHttpUrl;
        if (typeof cap === 'string') continue; // the provider lacks it (its reason is on the image-* cases)
        if (typeof cap === 'object') {
          const e = await apiError(client().chat.completions.create(user(mk, imagePart(url))));
          assert.equal(e.status, cap.rejected);
          assertRefused(e, /^messages\[0\]\.content\[1\]/, `${url.slice(0, 10)}: ${cap.reason}`);
          notSent(mk);
          continue;
        }
        const r = await client().chat.completions.create(user(mk, imagePart(url)));
        assert.match(r.choices[0].message.content ?? '', /^I see 1 image\./);
        sentNative(mk, mm.native?.image(url), `image ${url.slice(0, 10)}`);
      }
    });

    // ------------------------------------------------------------ audio in

    kase(
      'audio-in',
      mm.audioIn === true
        ? 'audio in: an input_audio WAV reaches the upstream natively and is heard'
        : 'audio in: an input_audio part is refused with 400 naming it (plain and stream request)',
      async () => {
        if (mm.audioIn === true) {
          const mk = marker();
          const r = await client().chat.completions.create(user(mk, audioPart(WAV_BASE64)));
          assert.match(r.choices[0].message.content ?? '', /^I hear 1 audio clip\./);
          sentNative(mk, mm.native?.audio?.(WAV_BASE64, 'wav'), 'input_audio');
          return;
        }
        for (const stream of [false, true]) {
          const mk = marker();
          const e = await apiError(client().chat.completions.create({ ...user(mk, audioPart(WAV_BASE64)), stream }));
          assertRefused(e, /^messages\[0\]\.content\[1\]/, `stream=${stream}: ${mm.audioIn.refused}`);
          assert.match(e.message, /input_audio/);
          notSent(mk);
        }
      },
    );

    kase('audio-in-empty', 'audio in: empty input_audio data is a 400 naming it (plain and stream)', async () => {
      for (const stream of [false, true]) {
        const mk = marker();
        const e = await apiError(client().chat.completions.create({ ...user(mk, audioPart('')), stream }));
        assertRefused(e, /^messages\[0\]\.content\[1\]/, `stream=${stream}`);
        notSent(mk);
      }
    });

    // ------------------------------------------------------------ audio out

    const spoken = (mk: string): Params => ({
      model: c.model,
      messages: [{ role: 'user', content: `echo: spoken words ${mk}` }],
      ...AUDIO_OUT,
    });
    /** A complete spoken answer: null content, a WAV, the echoed transcript, an id and an expiry. */
    const assertSpoken = (msg: { content?: string | null; audio?: Audio | null }, mk: string, created: number) => {
      assert.equal(msg.content ?? null, null, 'a spoken answer has null content');
      const a = msg.audio;
      assert.ok(a, 'message.audio');
      assert.match(a.id ?? '', /^audio_/, 'audio.id');
      assert.equal(a.transcript, `spoken words ${mk}`, 'audio.transcript');
      const wav = wavInfo(a.data ?? '');
      assert.equal(wav.channels, 1);
      assert.equal(wav.bits, 16);
      assert.equal(wav.dataBytes, Buffer.from(a.data ?? '', 'base64').length - 44, 'the whole WAV came back');
      assert.ok(Number.isInteger(a.expires_at) && (a.expires_at ?? 0) > created, 'audio.expires_at');
    };
    /** The delta.audio pieces of a stream, assembled as OpenAI documents (data and transcript appended). */
    const assembled = (chunks: OpenAI.ChatCompletionChunk[]) => {
      const pieces = chunks
        .map((ch) => (ch.choices[0]?.delta as { audio?: Audio } | undefined)?.audio)
        .filter((a): a is Audio => Boolean(a));
      const out: Audio = { id: '', data: '', transcript: '' };
      for (const p of pieces) {
        if (p.id) out.id = p.id;
        out.data += p.data ?? '';
        out.transcript += p.transcript ?? '';
        if (p.expires_at !== undefined) out.expires_at = p.expires_at;
      }
      return { pieces, audio: out };
    };

    kase(
      'audio-out',
      mm.audioOut === true
        ? 'audio out: message.audio (id, WAV data, transcript, expires_at) comes back intact'
        : "audio out: modalities ['text','audio'] is a 400 param modalities, not a text-only 200",
      async () => {
        if (mm.audioOut === true) {
          const mk = marker();
          const r = await client().chat.completions.create(spoken(mk));
          assertSpoken(r.choices[0].message, mk, r.created);
          assert.equal(r.choices[0].finish_reason, 'stop');
          const details = r.usage?.completion_tokens_details as { audio_tokens?: number } | undefined;
          assert.ok((details?.audio_tokens ?? 0) > 0, 'usage.completion_tokens_details.audio_tokens');
          sentNative(mk, AUDIO_OUT, 'modalities and audio');
          return;
        }
        for (const stream of [false, true]) {
          const mk = marker();
          const e = await apiError(client().chat.completions.create({ ...spoken(mk), stream }));
          assertRefused(e, /^modalities$/, `stream=${stream}: ${mm.audioOut.refused}`);
          notSent(mk);
        }
      },
    );

    kase(
      'audio-out-stream',
      'audio out streamed: delta.audio pieces (id first, expiry last) assemble to the unstreamed answer',
      async () => {
        const mk = marker();
        const chunks = await collect(
          await client().chat.completions.create({
            ...spoken(mk),
            stream: true,
            stream_options: { include_usage: true },
          }),
        );
        const { pieces, audio } = assembled(chunks);
        assert.ok(pieces.length >= 3, `several delta.audio pieces (got ${pieces.length})`);
        assert.match(pieces[0].id ?? '', /^audio_/, 'the first piece carries the id');
        assert.deepEqual(Object.keys(pieces.at(-1)!), ['expires_at'], 'the last piece carries only the expiry');
        assert.equal(chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join(''), '', 'no text content');
        assert.equal(
          chunks
            .map((ch) => ch.choices[0]?.finish_reason)
            .filter(Boolean)
            .at(-1),
          'stop',
        );
        assertSpoken({ content: null, audio }, mk, chunks[0].created);
        assert.ok(chunks.at(-1)?.usage, 'the usage chunk');
        const plain = (await client().chat.completions.create(spoken(mk))).choices[0].message.audio as Audio;
        assert.deepEqual(
          { id: audio.id, data: audio.data, transcript: audio.transcript },
          { id: plain.id, data: plain.data, transcript: plain.transcript },
          'the stream assembles to the unstreamed audio',
        );
      },
      refusals(mm.audioOut),
    );

    kase(
      'audio-out-cache',
      'audio out through the exact cache: a stored streamed answer replays intact, streamed and not',
      async () => {
        const plugin: CachePlugin = cache({ ttlSeconds: 60 });
        const g = await startGateway({ providers: c.providers(), plugins: [plugin], failover: false });
        try {
          const params = { ...spoken(marker()), stream: true as const };
          const first = await g.client.chat.completions.create(params).withResponse();
          assert.equal(first.response.headers.get('x-switchyard-cache'), 'miss');
          const original = assembled(await collect(first.data)).audio;
          await eventually(() => plugin.stats().all.stores >= 1);
          const again = await g.client.chat.completions.create(params).withResponse();
          assert.equal(again.response.headers.get('x-switchyard-cache'), 'hit');
          const replayed = await collect(again.data);
          assert.deepEqual(assembled(replayed).audio, original, 'the streamed replay carries the same audio');
          assert.equal(replayed.map((ch) => ch.choices[0]?.delta?.content ?? '').join(''), '', 'no text content');
          const { stream: _, ...plainParams } = params;
          const plain = await g.client.chat.completions.create(plainParams).withResponse();
          assert.equal(plain.response.headers.get('x-switchyard-cache'), 'hit');
          const msg = plain.data.choices[0].message;
          assert.equal(msg.content, null);
          assert.deepEqual({ ...(msg.audio as Audio) }, original, 'the unstreamed replay carries the same audio');
        } finally {
          await g.close();
        }
      },
      refusals(mm.audioOut),
    );

    // ------------------------------------------------------------ tools next to images

    kase(
      'tool-result-image',
      'a tool result followed by an image part: both reach the upstream, in order',
      async () => {
        const mk = marker();
        const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: `Use get_weather for me ${mk}` };
        const first = await client().chat.completions.create({ model: c.model, messages: [question], tools: TOOLS });
        const call = first.choices[0].message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
        assert.ok(call, 'a tool call to answer');
        const result = JSON.stringify({ temperature: 21, sky: `clear ${mk}` });
        const r = await client().chat.completions.create({
          model: c.model,
          tools: TOOLS,
          tool_choice: 'none',
          messages: [
            question,
            { role: 'assistant', content: null, tool_calls: [call] },
            { role: 'tool', tool_call_id: call.id, content: result },
            {
              role: 'user',
              content: [{ type: 'text', text: 'And what is in this picture?' }, imagePart(PNG_DATA_URL)],
            },
          ],
        });
        const choice = r.choices[0];
        if (choice.finish_reason === 'tool_calls') assert.ok(mm.mayCallToolsAnyway, 'tool_choice none: no tool call');
        else assert.match(choice.message.content ?? '', /^I see 1 image\./, 'the model saw the image');
        const body = c.upstreamWith(`clear ${mk}`);
        if (body === undefined) return;
        sentNative(`clear ${mk}`, mm.native?.toolResult(call.id, call.function.name, result), 'the tool result');
        sentNative(`clear ${mk}`, mm.native?.image(PNG_DATA_URL), 'the image after it');
        const text = JSON.stringify(body);
        assert.ok(text.indexOf(`clear ${mk}`) < text.indexOf(PNG_BASE64), 'the tool result comes before the image');
      },
    );
  };
}
