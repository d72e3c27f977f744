/**
 * The provider contract: one suite of behaviours every provider plugin must show through the real
 * gateway, over HTTP, to the official `openai` client (v6), whatever upstream serves the request.
 *
 * `runProviderContract(spec)` registers one node:test `describe` per provider. The spec says how to
 * start the provider's emulated upstream, which model id the client sends for each emulator
 * behaviour (see the convention in test/emulators/*.ts: normal ids answer via simulateChat,
 * 'error-<status>' | 'overloaded' | 'context-too-long' answer errors, 'stream-error-midway' /
 * 'stream-truncated' break streams, 'slow' waits 2 s), and which capabilities the provider lacks.
 *
 * Differences between providers live in the spec, never in the cases:
 *  - a capability is `true`, or a string saying why the provider (or its emulator) lacks it: the
 *    case is then skipped with that reason;
 *  - `errors` overrides the expected mapping of an error behaviour, citing the plugin's rule;
 *  - `todo` marks a case that reveals a bug in a plugin or an emulator (node:test `todo`: it runs,
 *    its failure is reported but does not fail the run).
 *
 * Cases (all through the gateway over HTTP, with the SDK): plain echo (provider header, nothing
 * dropped), unsupported params forwarded or reported, system prompt and multi-turn history received
 * upstream, streamed echo (role first, text, finish stop, [DONE] on the wire), stream usage with and
 * without include_usage (same numbers as unstreamed), single tool call plain and streamed (argument
 * deltas, index 0), tool_choice named/none, parallel tool calls plain and streamed (indexes 0 and 1,
 * finalChatCompletion), streamed tool usage, tool-result follow-up plain and streamed, images (data
 * URL plain and streamed, http URL), JSON mode, json_schema plain and streamed, max_tokens -> length
 * plain and streamed, stop sequences, usage consistency, cached and reasoning tokens plain and
 * streamed, each error class (plain and stream request), mid-stream error and truncation (SDK raises;
 * the wire ends with an error event and no [DONE]), 'slow' past the upstream timeout -> 504.
 *
 * More cases register through `runProviderContract(spec, extra)`: each gets a ContractContext (the
 * client, the upstream's request log, `kase`) and runs in the same describe, against the same gateway
 * (multimodal-cases.ts: images and audio in, audio out, tool results next to images).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { Plugin } from '../../core/plugin.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

// ---------------------------------------------------------------- spec

export type ErrorBehaviour =
  | 'error-400'
  | 'error-401'
  | 'error-403'
  | 'error-404'
  | 'error-429'
  | 'error-500'
  | 'error-503'
  | 'overloaded'
  | 'context-too-long';
export const ERROR_BEHAVIOURS: ErrorBehaviour[] = [
  'error-400',
  'error-401',
  'error-403',
  'error-404',
  'error-429',
  'error-500',
  'error-503',
  'overloaded',
  'context-too-long',
];

/** 'chat' is a normal model id (the emulator answers with simulateChat); the rest are emulator behaviours. */
export type Behaviour = 'chat' | ErrorBehaviour | 'stream-error-midway' | 'stream-truncated' | 'slow';

/** `true`, or the reason the provider / its emulator does not have it (the case is skipped with it). */
export type Cap = true | string;

type CreateParams = OpenAI.ChatCompletionCreateParamsNonStreaming;
/** An SDK error class (BadRequestError, RateLimitError, ...). */
type SdkErrorClass = new (...args: any[]) => InstanceType<typeof OpenAI.APIError>;

export interface ExpectedError {
  status: number;
  /** The SDK error class the client must see. */
  cls: SdkErrorClass;
  /** error.code, when the contract pins it. */
  code?: string;
  /** The retry-after header the client must see. */
  retryAfter?: string;
}

/** Requests the emulated upstream received (every emulator records `{ path, body }`). */
export interface UpstreamLog {
  requests: Array<{ path: string; body: unknown }>;
}

export interface StartedProvider {
  providers: Plugin[];
  /** The emulator's request log; absent for in-process providers (mock). */
  upstream?: UpstreamLog;
  close(): Promise<void>;
}

/** How to trigger an optional feature on this provider's emulator: a change to a plain request. */
export interface Trigger {
  request: (base: CreateParams) => CreateParams;
}

export type CaseId =
  | 'plain'
  | 'dropped-params'
  | 'system'
  | 'multi-turn'
  | 'stream'
  | 'stream-usage'
  | 'stream-no-usage'
  | 'tool'
  | 'tool-stream'
  | 'tool-choice'
  | 'parallel-tools'
  | 'parallel-tools-stream'
  | 'tool-usage-stream'
  | 'tool-result'
  | 'tool-result-stream'
  | 'image-data-url'
  | 'image-data-url-stream'
  | 'image-http-url'
  | 'json-object'
  | 'json-schema'
  | 'json-schema-stream'
  | 'length'
  | 'length-stream'
  | 'stop-sequence'
  | 'usage'
  | 'cached-tokens'
  | 'cached-tokens-stream'
  | 'reasoning'
  | 'reasoning-stream'
  | 'mid-stream-error'
  | 'stream-truncated'
  | 'slow'
  | 'image-native'
  | 'audio-in'
  | 'audio-in-empty'
  | 'audio-out'
  | 'audio-out-stream'
  | 'audio-out-cache'
  | 'tool-result-image'
  | ErrorBehaviour;

export interface ProviderContractSpec {
  name: string;
  start(): Promise<StartedProvider>;
  /** The model id the client sends for a behaviour, e.g. (b) => `anthropic/${b}`. */
  model(b: Behaviour): string;
  caps: {
    imageDataUrl: Cap;
    /** `{ rejected }`: the plugin documents that it refuses http(s) image URLs with this status. */
    imageHttpUrl: Cap | { rejected: number; reason: string };
    jsonSchema: Cap;
    parallelTools: Cap;
    /** Usage chunk with stream_options.include_usage (and none without). */
    streamUsage: Cap;
    stopSequences: Cap;
    /** How to make the emulator report cached prompt tokens (asserted > 0 in prompt_tokens_details). */
    cachedTokens: Trigger | string;
    /** How to make the emulator answer with reasoning; `tokens`: reasoning_tokens > 0 is reported too. */
    reasoning: (Trigger & { tokens: boolean }) | string;
  };
  /** Error behaviours: a string skips them all with that reason; an object overrides DEFAULT_ERRORS. */
  errors: string | Partial<Record<ErrorBehaviour, ExpectedError>>;
  /** Mid-stream error, truncation and upstream timeout; a string skips them with that reason. */
  failures: Cap;
  /** Cases that reveal a bug in a plugin or an emulator: reason (file, input, expected, actual). */
  todo?: Partial<Record<CaseId, string>>;
}

/** The contract's expected mapping of each upstream error class (issue 3, "Correctness rules"). */
export const DEFAULT_ERRORS: Record<ErrorBehaviour, ExpectedError> = {
  'error-400': { status: 400, cls: OpenAI.BadRequestError },
  'error-401': { status: 401, cls: OpenAI.AuthenticationError },
  'error-403': { status: 403, cls: OpenAI.PermissionDeniedError },
  'error-404': { status: 404, cls: OpenAI.NotFoundError },
  'error-429': { status: 429, cls: OpenAI.RateLimitError, retryAfter: '1' },
  'error-500': { status: 500, cls: OpenAI.InternalServerError },
  'error-503': { status: 503, cls: OpenAI.InternalServerError },
  overloaded: { status: 503, cls: OpenAI.InternalServerError },
  'context-too-long': { status: 400, cls: OpenAI.BadRequestError, code: 'context_length_exceeded' },
};

/** The gateway's upstream timeout in the contract ('slow' answers after 2 s). */
export const CONTRACT_TIMEOUT_MS = 1000;

// ---------------------------------------------------------------- fixtures

export const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'Time in a zone',
      parameters: {
        type: 'object',
        properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } },
        required: ['zone'],
      },
    },
  },
];
/** What simulateChat puts in the arguments: the schema's example value. */
const EXAMPLE_ARGS: Record<string, unknown> = { get_weather: { city: 'mock' }, get_time: { zone: 'UTC' } };

const PNG_DATA_URL =
  'data:image/png;base64,' +
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const HTTP_IMAGE_URL = 'https://example.com/images/cat.png';

let markers = 0;
/** A word unique to one request, so concurrent cases can find their own upstream request. */
export const marker = () => {
  // Letters only: simulateChat's token count sees one word as one token.
  const n = ++markers * 7919 + Math.floor(Math.random() * 1e6);
  return 'mk' + n.toString(26).replace(/[0-9]/g, (d) => 'qrstuvwxyz'[Number(d)]);
};

export async function collect(
  stream: AsyncIterable<OpenAI.ChatCompletionChunk>,
): Promise<OpenAI.ChatCompletionChunk[]> {
  const out: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

const textOf = (chunks: OpenAI.ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
const finishOf = (chunks: OpenAI.ChatCompletionChunk[]) =>
  chunks
    .map((c) => c.choices[0]?.finish_reason)
    .filter(Boolean)
    .at(-1);

export async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

function assertUsage(u: OpenAI.CompletionUsage | undefined | null, where: string): void {
  assert.ok(u, `${where}: usage present`);
  assert.ok(u.prompt_tokens > 0, `${where}: prompt_tokens > 0 (got ${u.prompt_tokens})`);
  assert.ok(u.completion_tokens > 0, `${where}: completion_tokens > 0 (got ${u.completion_tokens})`);
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens, `${where}: total = prompt + completion`);
}

function assertToolCall(
  call: { type?: string; id?: string; function?: { name?: string; arguments?: string } } | undefined,
  name: string,
): void {
  assert.ok(call, `a ${name} tool call`);
  assert.equal(call.type, 'function');
  assert.ok(typeof call.id === 'string' && call.id.length > 0, 'tool call id');
  assert.equal(call.function?.name, name);
  assert.deepEqual(JSON.parse(call.function?.arguments ?? ''), EXAMPLE_ARGS[name]);
}

// ---------------------------------------------------------------- the suite

/** What a case registered from outside this file (`extra`) works with. */
export interface ContractContext {
  spec: ProviderContractSpec;
  /** The model id of a normal chat request (spec.model('chat')). */
  model: string;
  /** The gateway's client (available once the suite's `before` has run, i.e. inside a case). */
  client(): OpenAI;
  /** The provider plugins the gateway runs (to start another gateway on the same upstream). */
  providers(): Plugin[];
  /** The emulated upstream's request log; undefined for in-process providers (mock). */
  upstream(): UpstreamLog | undefined;
  /** The body of the upstream request that carried `mark` (undefined for in-process providers). */
  upstreamWith(mark: string): unknown;
  /** Register a case, honouring the spec's todo list; `skip` is a reason to skip it. */
  kase(id: CaseId, title: string, fn: () => Promise<void>, skip?: string | false): void;
}

export type ExtraCases = (c: ContractContext) => void;

export function runProviderContract(spec: ProviderContractSpec, extra: ExtraCases[] = []): void {
  describe(`provider contract: ${spec.name}`, { concurrency: 4 }, () => {
    let started: StartedProvider;
    let t: TestGateway;
    let client: OpenAI;

    before(async () => {
      started = await spec.start();
      t = await startGateway({
        providers: started.providers,
        failover: false,
        cache: false,
        upstream: { timeoutMs: CONTRACT_TIMEOUT_MS },
      });
      client = t.client;
    });
    after(async () => {
      await t?.close();
      await started?.close();
    });

    const M = spec.model('chat');
    const base = (content: string, extra: Partial<CreateParams> = {}): CreateParams => ({
      model: M,
      messages: [{ role: 'user', content }],
      ...extra,
    });

    /** The body of the upstream request that carried `mark` (undefined for in-process providers). */
    const upstreamWith = (mark: string): unknown => {
      if (!started.upstream) return undefined;
      const hit = [...started.upstream.requests].reverse().find((r) => JSON.stringify(r.body ?? '').includes(mark));
      assert.ok(hit, `the upstream received a request carrying ${mark}`);
      return hit.body;
    };

    /** Register a case, honouring the spec's todo list and a capability's skip reason. */
    const kase = (id: CaseId, title: string, fn: () => Promise<void>, skip?: string | false) => {
      const todo = spec.todo?.[id];
      const opts = skip ? { skip } : todo ? { todo } : {};
      test(`${spec.name}: ${title}`, opts, fn);
    };
    const skipOf = (c: unknown): string | false => (typeof c === 'string' ? c : false);

    // ------------------------------------------------------------ text

    kase('plain', 'plain echo', async () => {
      const mk = marker();
      const { data: r, response } = await client.chat.completions.create(base(`echo: hello ${mk}`)).withResponse();
      assert.equal(response.headers.get('x-switchyard-provider'), spec.name);
      assert.equal(
        response.headers.get('x-switchyard-dropped-params'),
        null,
        'nothing is dropped from a plain request',
      );
      assert.equal(r.object, 'chat.completion');
      assert.equal(r.choices.length, 1);
      assert.equal(r.choices[0].message.role, 'assistant');
      assert.equal(r.choices[0].message.content, `hello ${mk}`);
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.ok(typeof r.id === 'string' && r.id.length > 0);
    });

    kase(
      'dropped-params',
      'a parameter the upstream cannot take is forwarded or reported, never dropped silently',
      async () => {
        const mk = marker();
        const { data: r, response } = await client.chat.completions
          .create(base(`echo: biased ${mk}`, { logit_bias: { '1234': -100 }, seed: 7 }))
          .withResponse();
        assert.equal(r.choices[0].message.content, `biased ${mk}`);
        const reported = (response.headers.get('x-switchyard-dropped-params') ?? '').split(',').map((x) => x.trim());
        const body = upstreamWith(mk);
        // An in-process provider receives the canonical request itself: nothing is lost on the way.
        const sent =
          body === undefined
            ? ['logit_bias', 'seed']
            : ['logit_bias', 'seed'].filter((k) => JSON.stringify(body).includes(`"${k}"`));
        for (const k of ['logit_bias', 'seed']) {
          assert.ok(
            sent.includes(k) || reported.includes(k),
            `${k} is forwarded or listed in x-switchyard-dropped-params ` +
              `(header: ${response.headers.get('x-switchyard-dropped-params')})`,
          );
        }
      },
    );

    kase('system', 'system prompt reaches the upstream', async () => {
      const mk = marker();
      const system = `Answer tersely ${mk}.`;
      const r = await client.chat.completions.create({
        model: M,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: `echo: sys ${mk}` },
        ],
      });
      assert.equal(r.choices[0].message.content, `sys ${mk}`);
      const body = upstreamWith(mk);
      if (body !== undefined)
        assert.ok(
          JSON.stringify(body).includes(system),
          `the upstream body carries the system prompt: ${JSON.stringify(body)}`,
        );
    });

    kase('multi-turn', 'multi-turn history is forwarded', async () => {
      const mk = marker();
      const r = await client.chat.completions.create({
        model: M,
        messages: [
          { role: 'user', content: `first question ${mk}` },
          { role: 'assistant', content: `earlier answer ${mk}` },
          { role: 'user', content: `echo: again ${mk}` },
        ],
      });
      assert.equal(r.choices[0].message.content, `again ${mk}`);
      const body = upstreamWith(`again ${mk}`);
      if (body !== undefined) {
        const s = JSON.stringify(body);
        assert.ok(s.includes(`first question ${mk}`) && s.includes(`earlier answer ${mk}`), `history forwarded: ${s}`);
      }
    });

    kase('stream', 'streamed echo: role first, text, finish stop, [DONE]', async () => {
      const mk = marker();
      const chunks = await collect(
        await client.chat.completions.create({ ...base(`echo: one two three ${mk}`), stream: true }),
      );
      assert.ok(chunks.length >= 2, 'several chunks');
      assert.equal(chunks[0].choices[0]?.delta.role, 'assistant', 'role in the first chunk');
      assert.equal(textOf(chunks), `one two three ${mk}`);
      assert.equal(finishOf(chunks), 'stop');
      for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
      // The wire itself: SSE data lines ending with [DONE].
      const res = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...base(`echo: raw ${mk}`), stream: true }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const raw = await res.text();
      assert.ok(raw.trimEnd().endsWith('data: [DONE]'), `stream ends with [DONE]: ${raw.slice(-200)}`);
    });

    kase(
      'stream-usage',
      'stream usage chunk with include_usage (same numbers as unstreamed)',
      async () => {
        const params = base(`echo: counted words ${marker()}`);
        const chunks = await collect(
          await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }),
        );
        const withUsage = chunks.filter((c) => c.usage);
        assert.equal(withUsage.length, 1, 'exactly one chunk carries usage');
        assert.equal(withUsage[0], chunks.at(-1), 'usage comes in the last chunk');
        assert.deepEqual(withUsage[0].choices, [], 'the usage chunk has no choices');
        assertUsage(withUsage[0].usage, 'stream usage');
        const plain = await client.chat.completions.create(params);
        assert.equal(
          withUsage[0].usage?.prompt_tokens,
          plain.usage?.prompt_tokens,
          'same prompt_tokens streamed and not',
        );
        assert.equal(
          withUsage[0].usage?.completion_tokens,
          plain.usage?.completion_tokens,
          'same completion_tokens streamed and not',
        );
      },
      skipOf(spec.caps.streamUsage),
    );

    kase(
      'stream-no-usage',
      'no usage in the stream without include_usage',
      async () => {
        const chunks = await collect(
          await client.chat.completions.create({ ...base(`echo: uncounted ${marker()}`), stream: true }),
        );
        assert.equal(chunks.filter((c) => c.usage).length, 0, 'no chunk carries usage');
        assert.ok(
          chunks.every((c) => c.choices.length > 0),
          'no choice-less usage chunk',
        );
      },
      skipOf(spec.caps.streamUsage),
    );

    // ------------------------------------------------------------ tools

    kase('tool', 'single tool call', async () => {
      const r = await client.chat.completions.create(base(`Use get_weather please ${marker()}`, { tools: TOOLS }));
      const msg = r.choices[0].message;
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      assert.equal(msg.tool_calls?.length, 1);
      assertToolCall(msg.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall, 'get_weather');
    });

    kase('tool-stream', 'single tool call streamed (argument deltas)', async () => {
      const chunks = await collect(
        await client.chat.completions.create({
          ...base(`Use get_weather please ${marker()}`, { tools: TOOLS }),
          stream: true,
        }),
      );
      assert.equal(chunks[0].choices[0]?.delta.role, 'assistant', 'role in the first chunk');
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      assert.ok(deltas.length >= 1, 'tool call deltas');
      assert.ok(
        deltas.every((d) => d.index === 0),
        'every delta has index 0',
      );
      const first = deltas[0];
      assert.equal(first.type, 'function');
      assert.ok(first.id, 'the first delta carries the id');
      assert.equal(first.function?.name, 'get_weather');
      const args = deltas.map((d) => d.function?.arguments ?? '').join('');
      assert.deepEqual(JSON.parse(args), EXAMPLE_ARGS.get_weather);
      assert.equal(finishOf(chunks), 'tool_calls');
    });

    kase('tool-choice', 'tool_choice: named tool forced, none answers text', async () => {
      const named = await client.chat.completions.create(
        base(`Use get_weather please ${marker()}`, {
          tools: TOOLS,
          tool_choice: { type: 'function', function: { name: 'get_time' } },
        }),
      );
      const calls = (named.choices[0].message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
      assert.equal(calls.length, 1, 'exactly the named tool');
      assertToolCall(calls[0], 'get_time');
      const mk = marker();
      const none = await client.chat.completions.create(
        base(`echo: no tools ${mk} get_weather`, { tools: TOOLS, tool_choice: 'none' }),
      );
      assert.equal(none.choices[0].finish_reason, 'stop');
      assert.equal(none.choices[0].message.tool_calls ?? undefined, undefined);
      assert.equal(none.choices[0].message.content, `no tools ${mk} get_weather`);
    });

    kase(
      'parallel-tools',
      'parallel tool calls',
      async () => {
        const r = await client.chat.completions.create(
          base(`Call get_weather and get_time ${marker()}`, { tools: TOOLS }),
        );
        const calls = (r.choices[0].message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
        assert.equal(r.choices[0].finish_reason, 'tool_calls');
        assert.equal(calls.length, 2);
        assertToolCall(calls[0], 'get_weather');
        assertToolCall(calls[1], 'get_time');
        assert.notEqual(calls[0].id, calls[1].id, 'distinct ids');
      },
      skipOf(spec.caps.parallelTools),
    );

    kase(
      'parallel-tools-stream',
      'parallel tool calls streamed: indexes 0 and 1, finalChatCompletion',
      async () => {
        const indexes = new Set<number>();
        const firsts = new Map<number, OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall>();
        const runner = client.chat.completions.stream({
          model: M,
          messages: [{ role: 'user', content: `Call get_weather and get_time ${marker()}` }],
          tools: TOOLS,
        });
        runner.on('chunk', (c) => {
          for (const d of c.choices[0]?.delta.tool_calls ?? []) {
            indexes.add(d.index);
            if (!firsts.has(d.index)) firsts.set(d.index, d);
          }
        });
        const final = await runner.finalChatCompletion();
        assert.deepEqual([...indexes].sort(), [0, 1]);
        for (const [i, d] of firsts) {
          assert.ok(d.id, `the first delta of call ${i} carries its id`);
          assert.equal(
            d.function?.name,
            i === 0 ? 'get_weather' : 'get_time',
            `the first delta of call ${i} carries its name`,
          );
        }
        const calls = (final.choices[0].message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
        assert.equal(final.choices[0].finish_reason, 'tool_calls');
        assert.equal(calls.length, 2);
        assertToolCall(calls[0], 'get_weather');
        assertToolCall(calls[1], 'get_time');
      },
      skipOf(spec.caps.parallelTools),
    );

    kase(
      'tool-usage-stream',
      'streamed tool call usage equals the unstreamed one',
      async () => {
        const params = base(`Use get_weather please ${marker()}`, { tools: TOOLS });
        const chunks = await collect(
          await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }),
        );
        const u = chunks.find((c) => c.usage)?.usage;
        assertUsage(u, 'tool stream');
        const plain = await client.chat.completions.create(params);
        assert.equal(u?.prompt_tokens, plain.usage?.prompt_tokens, 'same prompt_tokens');
        assert.equal(u?.completion_tokens, plain.usage?.completion_tokens, 'same completion_tokens');
      },
      skipOf(spec.caps.streamUsage),
    );

    /** A tool call, then the conversation continued with its result. */
    const toolResultParams = async (mk: string): Promise<CreateParams> => {
      const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: `Use get_weather for me ${mk}` };
      const first = await client.chat.completions.create({ model: M, messages: [question], tools: TOOLS });
      const call = first.choices[0].message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      assert.ok(call, 'a tool call to answer');
      return {
        model: M,
        tools: TOOLS,
        messages: [
          question,
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: call.id,
                type: 'function',
                function: { name: call.function.name, arguments: call.function.arguments },
              },
            ],
          },
          { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ temperature: 21, sky: `clear ${mk}` }) },
        ],
      };
    };

    kase('tool-result-stream', 'tool result follow-up streamed', async () => {
      const chunks = await collect(
        await client.chat.completions.create({ ...(await toolResultParams(marker())), stream: true }),
      );
      assert.match(textOf(chunks), /^Based on the tool result \(\d+ tokens\), here is the answer\.$/);
      assert.equal(finishOf(chunks), 'stop');
    });

    kase('tool-result', 'tool result follow-up', async () => {
      const mk = marker();
      const r = await client.chat.completions.create(await toolResultParams(mk));
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.match(
        r.choices[0].message.content ?? '',
        /^Based on the tool result \(\d+ tokens\), here is the answer\.$/,
      );
      const body = upstreamWith(`clear ${mk}`);
      if (body !== undefined)
        assert.ok(JSON.stringify(body).includes('get_weather'), 'the call is in the history sent upstream');
    });

    // ------------------------------------------------------------ images, JSON

    const imageCase = async (url: string) =>
      client.chat.completions.create({
        model: M,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: `Describe this ${marker()}` },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      });

    kase(
      'image-data-url',
      'image input (data URL)',
      async () => {
        const r = await imageCase(PNG_DATA_URL);
        assert.match(r.choices[0].message.content ?? '', /^I see 1 image\./);
      },
      skipOf(spec.caps.imageDataUrl),
    );

    kase(
      'image-data-url-stream',
      'image input (data URL) streamed',
      async () => {
        const chunks = await collect(
          await client.chat.completions.create({
            model: M,
            stream: true,
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: `Describe this ${marker()}` },
                  { type: 'image_url', image_url: { url: PNG_DATA_URL } },
                ],
              },
            ],
          }),
        );
        assert.match(textOf(chunks), /^I see 1 image\./);
        assert.equal(finishOf(chunks), 'stop');
      },
      skipOf(spec.caps.imageDataUrl),
    );

    const httpImage = spec.caps.imageHttpUrl;
    kase(
      'image-http-url',
      typeof httpImage === 'object'
        ? `image input (http URL) refused with ${httpImage.rejected} as documented`
        : 'image input (http URL)',
      async () => {
        if (typeof httpImage === 'object') {
          const e = await apiError(imageCase(HTTP_IMAGE_URL));
          assert.equal(e.status, httpImage.rejected);
          return;
        }
        const r = await imageCase(HTTP_IMAGE_URL);
        assert.match(r.choices[0].message.content ?? '', /^I see 1 image\./);
      },
      skipOf(httpImage),
    );

    kase('json-object', 'JSON mode (json_object)', async () => {
      const r = await client.chat.completions.create(
        base(`Reply in JSON please ${marker()}`, { response_format: { type: 'json_object' } }),
      );
      const parsed = JSON.parse(r.choices[0].message.content ?? '');
      assert.equal(typeof parsed, 'object');
      assert.ok(parsed !== null && !Array.isArray(parsed), 'a JSON object');
      assert.equal(r.choices[0].finish_reason, 'stop');
    });

    const jsonSchemaFormat: OpenAI.ResponseFormatJSONSchema = {
      type: 'json_schema',
      json_schema: {
        name: 'answer',
        schema: {
          type: 'object',
          properties: { answer: { type: 'string' } },
          required: ['answer'],
          additionalProperties: false,
        },
      },
    };
    kase(
      'json-schema',
      'structured output (json_schema)',
      async () => {
        const r = await client.chat.completions.create(
          base(`Reply in JSON please ${marker()}`, { response_format: jsonSchemaFormat }),
        );
        const parsed = JSON.parse(r.choices[0].message.content ?? '');
        assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'a JSON object');
        assert.equal(r.choices[0].finish_reason, 'stop');
      },
      skipOf(spec.caps.jsonSchema),
    );

    kase(
      'json-schema-stream',
      'structured output (json_schema) streamed: JSON text in content deltas',
      async () => {
        const chunks = await collect(
          await client.chat.completions.create({
            ...base(`Reply in JSON please ${marker()}`, { response_format: jsonSchemaFormat }),
            stream: true,
          }),
        );
        const parsed = JSON.parse(textOf(chunks));
        assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'a JSON object');
        assert.equal(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).length, 0, 'no tool call deltas');
        assert.equal(finishOf(chunks), 'stop');
      },
      skipOf(spec.caps.jsonSchema),
    );

    // ------------------------------------------------------------ stop reasons, usage

    kase('length', 'max_tokens -> finish_reason length', async () => {
      const r = await client.chat.completions.create(
        base(`echo: alpha beta gamma delta epsilon zeta eta theta ${marker()}`, { max_tokens: 3 }),
      );
      assert.equal(r.choices[0].finish_reason, 'length');
      assert.equal(r.choices[0].message.content, 'alpha beta gamma');
      assert.equal(r.usage?.completion_tokens, 3);
    });

    kase('length-stream', 'max_tokens streamed -> finish_reason length', async () => {
      const chunks = await collect(
        await client.chat.completions.create({
          ...base(`echo: alpha beta gamma delta epsilon zeta eta theta ${marker()}`, { max_tokens: 3 }),
          stream: true,
        }),
      );
      assert.equal(textOf(chunks), 'alpha beta gamma');
      assert.equal(finishOf(chunks), 'length');
    });

    kase(
      'stop-sequence',
      'stop sequence -> text cut, finish_reason stop',
      async () => {
        const r = await client.chat.completions.create(
          base(`echo: alpha beta STOPHERE gamma ${marker()}`, { stop: ['STOPHERE'] }),
        );
        assert.equal(r.choices[0].finish_reason, 'stop');
        assert.equal((r.choices[0].message.content ?? '').trimEnd(), 'alpha beta');
      },
      skipOf(spec.caps.stopSequences),
    );

    kase('usage', 'usage numbers consistent (plain and tool call)', async () => {
      const r = await client.chat.completions.create(base(`echo: four words right here ${marker()}`));
      assertUsage(r.usage, 'plain');
      assert.equal(r.usage?.completion_tokens, 5, 'the echoed words are the completion tokens');
      const tool = await client.chat.completions.create(base(`Use get_weather please ${marker()}`, { tools: TOOLS }));
      assertUsage(tool.usage, 'tool call');
    });

    const cached = spec.caps.cachedTokens;
    kase(
      'cached-tokens',
      'cached prompt tokens reported in prompt_tokens_details',
      async () => {
        const r = await client.chat.completions.create((cached as Trigger).request(base(`echo: cached ${marker()}`)));
        assertUsage(r.usage, 'cached');
        const c = r.usage?.prompt_tokens_details?.cached_tokens ?? 0;
        assert.ok(c > 0, `cached_tokens > 0 (got ${c})`);
        assert.ok(c <= r.usage!.prompt_tokens, 'cached tokens are part of prompt_tokens');
      },
      skipOf(cached),
    );

    kase(
      'cached-tokens-stream',
      'cached prompt tokens in the stream usage chunk',
      async () => {
        const params = (cached as Trigger).request(base(`echo: cached stream ${marker()}`));
        const chunks = await collect(
          await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }),
        );
        const u = chunks.find((c) => c.usage)?.usage;
        assertUsage(u, 'cached stream');
        const plain = await client.chat.completions.create(params);
        assert.ok(
          (u?.prompt_tokens_details?.cached_tokens ?? 0) > 0,
          `cached_tokens > 0 (got ${u?.prompt_tokens_details?.cached_tokens})`,
        );
        assert.equal(
          u?.prompt_tokens_details?.cached_tokens,
          plain.usage?.prompt_tokens_details?.cached_tokens,
          'same cached_tokens streamed and not',
        );
        assert.equal(u?.prompt_tokens, plain.usage?.prompt_tokens, 'same prompt_tokens streamed and not');
      },
      skipOf(cached) || skipOf(spec.caps.streamUsage),
    );

    const reasoning = spec.caps.reasoning;
    kase(
      'reasoning',
      'reasoning content (and reasoning tokens)',
      async () => {
        const rr = reasoning as Trigger & { tokens: boolean };
        const r = await client.chat.completions.create(rr.request(base(`echo: thought through ${marker()}`)));
        const msg = r.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
        assert.ok(
          typeof msg.reasoning_content === 'string' && msg.reasoning_content.length > 0,
          'message.reasoning_content',
        );
        assert.match(msg.content ?? '', /^thought through /);
        assertUsage(r.usage, 'reasoning');
        if (rr.tokens)
          assert.ok((r.usage?.completion_tokens_details?.reasoning_tokens ?? 0) > 0, 'reasoning_tokens > 0');
      },
      skipOf(reasoning),
    );

    kase(
      'reasoning-stream',
      'reasoning streamed as reasoning_content deltas before the text',
      async () => {
        const rr = reasoning as Trigger & { tokens: boolean };
        const params = rr.request(base(`echo: thought through ${marker()}`));
        const chunks = await collect(
          await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }),
        );
        type Delta = OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };
        const deltas = chunks.map((c) => c.choices[0]?.delta as Delta | undefined);
        const firstReasoning = deltas.findIndex((d) => d?.reasoning_content);
        const firstText = deltas.findIndex((d) => d?.content);
        assert.ok(firstReasoning !== -1, 'reasoning_content deltas');
        assert.ok(firstText === -1 || firstReasoning < firstText, 'reasoning comes before the answer text');
        assert.match(textOf(chunks), /^thought through /);
        const u = chunks.find((c) => c.usage)?.usage;
        if (skipOf(spec.caps.streamUsage) === false) assertUsage(u, 'reasoning stream');
        if (rr.tokens && u)
          assert.ok(
            (u.completion_tokens_details?.reasoning_tokens ?? 0) > 0,
            'reasoning_tokens > 0 in the stream usage',
          );
      },
      skipOf(reasoning),
    );

    // ------------------------------------------------------------ errors

    for (const b of ERROR_BEHAVIOURS) {
      const expected = typeof spec.errors === 'string' ? undefined : { ...DEFAULT_ERRORS[b], ...spec.errors[b] };
      const title = expected
        ? `upstream ${b} -> ${expected.status} ${expected.cls.name}` +
          `${expected.code ? ` (${expected.code})` : ''}${expected.retryAfter ? ' with retry-after' : ''}`
        : `upstream ${b}`;
      kase(
        b,
        title,
        async () => {
          const exp = expected!;
          for (const stream of [false, true]) {
            const where = `${b}${stream ? ' (stream request)' : ''}`;
            const e = await apiError(
              client.chat.completions.create({
                model: spec.model(b),
                messages: [{ role: 'user', content: 'hi' }],
                stream,
              }),
            );
            assert.ok(
              e instanceof exp.cls,
              `${where}: expected ${exp.cls.name}, got ${e.constructor.name} ${e.status} ${e.message}`,
            );
            assert.equal(e.status, exp.status, `${where}: status`);
            if (exp.code) assert.equal(e.code, exp.code, `${where}: code`);
            if (exp.retryAfter) assert.equal(e.headers?.get('retry-after'), exp.retryAfter, `${where}: retry-after`);
            assert.ok(e.message.length > 0, `${where}: a message`);
            const body = e.error as { message?: unknown; type?: unknown } | undefined;
            assert.equal(typeof body?.message, 'string', `${where}: OpenAI-shaped error body with a message`);
            assert.equal(typeof body?.type, 'string', `${where}: OpenAI-shaped error body with a type`);
          }
        },
        typeof spec.errors === 'string' ? spec.errors : false,
      );
    }

    // ------------------------------------------------------------ failures

    const failSkip = skipOf(spec.failures);
    /** On the wire: a 200 stream whose last event is an OpenAI-shaped error, and no [DONE]. */
    const assertSseErrorEnd = async (b: Behaviour) => {
      const res = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: spec.model(b),
          stream: true,
          messages: [{ role: 'user', content: 'echo: a b c d e f g h' }],
        }),
      });
      assert.equal(res.status, 200);
      const raw = await res.text();
      assert.ok(!raw.includes('[DONE]'), 'no [DONE] after a failure');
      const last = raw.trim().split(/\n\n/).pop() ?? '';
      const err = JSON.parse(last.replace(/^data: /, '')).error;
      assert.ok(
        err && typeof err.message === 'string' && typeof err.type === 'string',
        `the last event is an error: ${last}`,
      );
    };
    kase(
      'mid-stream-error',
      'an upstream error mid-stream raises in the SDK stream',
      async () => {
        const stream = await client.chat.completions.create({
          model: spec.model('stream-error-midway'),
          stream: true,
          messages: [{ role: 'user', content: 'echo: a b c d e f g h' }],
        });
        let text = '';
        await assert.rejects(
          async () => {
            for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
          },
          (e: unknown) => e instanceof Error && e.message.length > 0,
        );
        assert.ok(text.length > 0, 'chunks before the failure were delivered');
        assert.notEqual(text, 'a b c d e f g h', 'the stream did not complete');
        await assertSseErrorEnd('stream-error-midway');
      },
      failSkip,
    );

    kase(
      'stream-truncated',
      'a truncated upstream stream raises in the SDK stream',
      async () => {
        const stream = await client.chat.completions.create({
          model: spec.model('stream-truncated'),
          stream: true,
          messages: [{ role: 'user', content: 'echo: a b c d e f g h' }],
        });
        await assert.rejects(
          async () => {
            for await (const _ of stream) {
              /* drain */
            }
          },
          (e: unknown) => e instanceof Error && e.message.length > 0,
        );
        await assertSseErrorEnd('stream-truncated');
      },
      failSkip,
    );

    kase(
      'slow',
      `a slow upstream past the ${CONTRACT_TIMEOUT_MS} ms timeout -> 504 (plain and stream request)`,
      async () => {
        for (const stream of [false, true]) {
          const e = await apiError(
            client.chat.completions.create({
              model: spec.model('slow'),
              messages: [{ role: 'user', content: 'hi' }],
              stream,
            }),
          );
          assert.ok(
            e instanceof OpenAI.APIError && e.status === 504,
            `stream=${stream}: 504, got ${e.status} (${e.constructor.name}: ${e.message})`,
          );
          assert.equal(e.code, 'upstream_timeout');
        }
      },
      failSkip,
    );

    // ------------------------------------------------------------ registered from outside

    const context: ContractContext = {
      spec,
      model: M,
      client: () => client,
      providers: () => started.providers,
      upstream: () => started.upstream,
      upstreamWith,
      kase,
    };
    for (const register of extra) register(context);
  });
}
