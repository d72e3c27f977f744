/**
 * The OpenAI emulator's media module, in OpenAI's documented wire formats: POST /v1/completions
 * (text_completion JSON; SSE chunks, a usage chunk when stream_options.include_usage, `data: [DONE]`;
 * `logprobs` answered with a logprobs object), /v1/images/generations (`{ created, data: [{ url | b64_json,
 * revised_prompt }] }`), /v1/images/edits and /v1/images/variations (multipart, see imageUpload),
 * /v1/audio/speech (audio bytes, `audio/mpeg`, written in several pieces; model 'speech-cut' sends some
 * audio, then drops the connection), /v1/audio/transcriptions and /v1/audio/translations (multipart;
 * `json` -> `{ text }`, `verbose_json` -> with `duration`, `text` -> plain text).
 * The Azure OpenAI emulator mounts it under its deployment paths.
 */
import type http from 'node:http';
import { type Exchange, type RecordedRequest, sendJson, sendOpenAIError } from './http.js';

const TEXT = 'once upon a time there was a gateway that metered every request';
export const TRANSCRIPT = 'the emulated transcript of the uploaded audio';

const invalid = (res: http.ServerResponse, message: string) => sendOpenAIError(res, 400, { message });

export function mediaRoutes({ rec, res, method, path }: Exchange): boolean {
  if (method !== 'POST') return false;
  const body = rec.body ?? {};
  switch (path) {
    case '/v1/completions':
      completions(body, res);
      return true;
    case '/v1/images/generations': {
      const n = body.n ?? 1;
      sendJson(res, 200, {
        created: 1_700_000_000,
        data: Array.from({ length: n }, (_, i) =>
          body.response_format === 'b64_json'
            ? { b64_json: Buffer.from(`image-${i}`).toString('base64') }
            : { url: `https://images.example/${i}.png`, revised_prompt: 'a revised prompt' },
        ),
      });
      return true;
    }
    case '/v1/images/edits':
    case '/v1/images/variations':
      imageUpload(path, rec, res);
      return true;
    case '/v1/audio/speech':
      speech(body, res);
      return true;
    case '/v1/audio/transcriptions':
    case '/v1/audio/translations': {
      const format = body.response_format ?? 'json';
      if (!rec.file?.bytes.length) invalid(res, "Missing required parameter: 'file'.");
      else if (format === 'text') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${TRANSCRIPT}\n`);
      } else if (format === 'verbose_json') {
        const task = path.endsWith('translations') ? 'translate' : 'transcribe';
        sendJson(res, 200, { task, language: 'english', duration: 2.5, text: TRANSCRIPT, segments: [] });
      } else sendJson(res, 200, { text: TRANSCRIPT });
      return true;
    }
    default:
      return false;
  }
}

function speech(body: any, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'audio/mpeg' });
  if (body.model === 'speech-cut') {
    // some audio, then the connection drops
    res.write(Buffer.alloc(1000));
    return void setTimeout(() => res.socket?.destroy(), 20);
  }
  const size = String(body.input).length * 100;
  for (let i = 0; i < size; i += 1000) res.write(Buffer.alloc(Math.min(1000, size - i), i / 1000));
  res.end();
}

function completions(body: any, res: http.ServerResponse): void {
  const words = TEXT.split(' ').slice(0, body.max_tokens ?? 16);
  const finish = words.length < TEXT.split(' ').length ? 'length' : 'stop';
  const prompt = typeof body.prompt === 'string' ? body.prompt : JSON.stringify(body.prompt);
  const promptTokens = prompt.split(/\s+/).length;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: words.length,
    total_tokens: promptTokens + words.length,
  };
  const logprobs =
    body.logprobs == null
      ? null
      : { tokens: words, token_logprobs: words.map(() => -0.5), top_logprobs: null, text_offset: [] };
  const base = { id: 'cmpl-emulated', object: 'text_completion', created: 1_700_000_000, model: body.model };
  if (!body.stream) {
    const text = (body.echo ? prompt : '') + words.join(' ');
    return sendJson(res, 200, { ...base, choices: [{ text, index: 0, logprobs, finish_reason: finish }], usage });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  words.forEach((w, i) => {
    const finishReason = i === words.length - 1 ? finish : null;
    send({ ...base, choices: [{ text: i ? ` ${w}` : w, index: 0, logprobs: null, finish_reason: finishReason }] });
  });
  if (body.stream_options?.include_usage) send({ ...base, choices: [], usage });
  res.end('data: [DONE]\n\n');
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * POST /v1/images/edits and /v1/images/variations (multipart): `image` (or `image[]` for GPT image models,
 * up to 16), optional `mask`, `prompt` (edits), `n`, `size`, `quality`, `response_format`. dall-e-2 takes one
 * square PNG; GPT image models answer `b64_json` with the `size` and `quality` they used ("auto" resolved to
 * 1024x1024 and medium) and a token `usage`.
 */
function imageUpload(path: string, rec: RecordedRequest, res: http.ServerResponse): void {
  const body = rec.body ?? {};
  const images = (rec.files ?? []).filter((f) => f.name === 'image' || f.name === 'image[]');
  if (!images.length) return invalid(res, "Missing required parameter: 'image'.");
  const edits = path.endsWith('/edits');
  if (edits && !body.prompt) return invalid(res, "Missing required parameter: 'prompt'.");
  const model = body.model ?? 'dall-e-2';
  const gpt = String(model).startsWith('gpt-image');
  if (!gpt && images.length > 1) return invalid(res, 'dall-e-2 takes exactly one image.');
  if (!edits && model !== 'dall-e-2') return invalid(res, 'Variations are only supported for dall-e-2.');
  for (const f of rec.files ?? []) {
    if (!f.bytes.subarray(0, 8).equals(PNG_SIGNATURE) && !gpt) {
      return invalid(res, `Invalid image file or mode for ${f.name}: it must be a PNG.`);
    }
  }
  const n = Number(body.n ?? 1);
  const b64 = gpt || body.response_format === 'b64_json';
  const data = Array.from({ length: n }, (_, i) =>
    b64 ? { b64_json: Buffer.from(`edited-${i}`).toString('base64') } : { url: `https://images.example/edit-${i}.png` },
  );
  if (!gpt) return sendJson(res, 200, { created: 1_700_000_000, data });
  const size = !body.size || body.size === 'auto' ? '1024x1024' : body.size;
  const quality = !body.quality || body.quality === 'auto' ? 'medium' : body.quality;
  const imageTokens = images.length * 323;
  sendJson(res, 200, {
    created: 1_700_000_000,
    data,
    size,
    quality,
    output_format: 'png',
    usage: {
      input_tokens: imageTokens + 20,
      output_tokens: 1056 * n,
      total_tokens: imageTokens + 20 + 1056 * n,
      input_tokens_details: { text_tokens: 20, image_tokens: imageTokens },
    },
  });
}
