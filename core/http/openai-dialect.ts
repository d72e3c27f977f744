/** The OpenAI Chat Completions dialect: the canonical format, so parsing is validation only. */
import { rawJson } from '../chunks.js';
import { errors, type GatewayError } from '../errors.js';
import { checkModelName } from '../model-name.js';
import { sseData } from '../sse.js';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../types.js';
import { bestError, compile, formatAjvError } from '../validation.js';
import type { Dialect } from './dialect.js';
import { chatRequestSchema, embeddingsRequestSchema } from './openai-schema.js';

const validateChat = compile<ChatCompletionRequest>(chatRequestSchema);
const validateEmbeddings = compile<EmbeddingsRequest>(embeddingsRequestSchema);

export function check<T>(validate: ReturnType<typeof compile<T>>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.invalidRequest('The request body must be a JSON object.');
  }
  if (!validate(body)) {
    const f = formatAjvError(bestError(validate.errors!), '', body);
    throw errors.invalidRequest(`Invalid request: ${f.path} ${f.message}.`, f.path);
  }
  checkModelName((body as { model?: unknown }).model);
  return body as T;
}

export function parseEmbeddings(body: unknown): EmbeddingsRequest {
  return check(validateEmbeddings, body);
}

const DONE = 'data: [DONE]\n\n';

export const openaiDialect: Dialect = {
  name: 'openai',
  parseChat: (body) => check(validateChat, body),
  renderChat: (response) => response,
  streamEncoder: () => ({
    chunk: (c) => sseData(rawJson(c) ?? JSON.stringify(c)),
    end: () => DONE,
    // The official SDKs raise an APIError when a data event carries an `error` object.
    error: (err) => sseData(JSON.stringify(openaiErrorBody(err))),
  }),
  errorBody: openaiErrorBody,
};

export function openaiErrorBody(err: GatewayError) {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}
