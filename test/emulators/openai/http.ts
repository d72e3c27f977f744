/**
 * The HTTP plumbing shared by the OpenAI emulator's modules (and the Azure OpenAI emulator, which serves the
 * same operations under its own paths): reading and recording a request (JSON, multipart/form-data or raw
 * bytes), JSON answers, and OpenAI's error body `{ error: { message, type, param, code } }`.
 */
import type http from 'node:http';

export interface UploadedFile {
  name: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or the text fields of a multipart form; undefined for an empty or binary body. */
  body: any;
  /** The body's bytes as received. */
  raw: Buffer;
  /** The (first) uploaded file of a multipart form. */
  file?: UploadedFile;
  /** Every uploaded file of a multipart form, in order. */
  files?: UploadedFile[];
  /** Azure OpenAI: the deployment named in the URL. */
  deployment?: string;
}

/** What a module needs to answer one request. `path` is the path without its query, in OpenAI's /v1 form. */
export interface Exchange {
  rec: RecordedRequest;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  path: string;
}

/** A module's handler: true when it answered (or is answering) the request, false when the path is not its own. */
export type Handler = (x: Exchange) => boolean | Promise<boolean>;

/**
 * Read and record a request. `onBytes` sees every chunk as it arrives (for tests that check an upload is
 * streamed). A body that cannot be parsed is recorded with `body: undefined` and `invalid: true`.
 */
export async function readRequest(
  req: http.IncomingMessage,
  onBytes: (n: number) => void = () => undefined,
): Promise<{ rec: RecordedRequest; invalid: boolean }> {
  const parts: Buffer[] = [];
  for await (const c of req) {
    parts.push(c as Buffer);
    onBytes((c as Buffer).length);
  }
  const raw = Buffer.concat(parts);
  const rec: RecordedRequest = {
    method: req.method ?? '',
    path: req.url ?? '',
    headers: req.headers,
    body: undefined,
    raw,
  };
  const type = String(req.headers['content-type'] ?? '');
  try {
    if (type.startsWith('multipart/form-data')) {
      const { fields, files } = parseMultipart(raw, type);
      Object.assign(rec, { body: fields, file: files[0], files });
    } else if (raw.length && (type === '' || type.includes('json'))) rec.body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { rec, invalid: true };
  }
  return { rec, invalid: false };
}

/** The text fields and files of a multipart/form-data body (read whole). */
export function parseMultipart(buf: Buffer, contentType: string) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new Error('no boundary');
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  let at = buf.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (buf.subarray(start, start + 2).toString() === '--') break;
    const headEnd = buf.indexOf('\r\n\r\n', start);
    const next = buf.indexOf(delim, headEnd);
    if (headEnd < 0 || next < 0) throw new Error('truncated form');
    const head = buf.subarray(start + 2, headEnd).toString();
    const content = buf.subarray(headEnd + 4, next - 2);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined) {
      const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '';
      files.push({ name, filename, contentType, bytes: Buffer.from(content) });
    } else fields[name] = content.toString();
    at = next;
  }
  return { fields, files };
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export interface ErrorSpec {
  message: string;
  type?: string;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

/** An error in OpenAI's format; the type defaults by status (4xx invalid_request_error, 5xx server_error). */
export function sendOpenAIError(res: http.ServerResponse, status: number, e: ErrorSpec): void {
  const type = e.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  sendJson(
    res,
    status,
    { error: { message: e.message, type, param: e.param ?? null, code: e.code ?? null } },
    { 'x-request-id': `req_${status}`, ...e.headers },
  );
}

/** The errors OpenAI documents, as a model id 'error-<status>' asks for them. */
const ERRORS: Record<number, ErrorSpec> = {
  400: { type: 'invalid_request_error', code: null, message: "Invalid value for 'temperature'." },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided: sk-****.' },
  403: {
    type: 'invalid_request_error',
    code: 'unsupported_country_region_territory',
    message: 'Country, region, or territory not supported',
  },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model `error-404` does not exist or you do not have access to it.',
  },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again in 1s.',
    headers: { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
  },
  500: {
    type: 'server_error',
    code: null,
    message: 'The server had an error while processing your request. Sorry about that!',
  },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

/** The documented error for a status (as asked by a model id 'error-<status>'). */
export function sendStatusError(res: http.ServerResponse, status: number): void {
  sendOpenAIError(res, status, ERRORS[status] ?? { type: 'server_error', message: `Error ${status}` });
}

export const CONTEXT_TOO_LONG: ErrorSpec = {
  message:
    "This model's maximum context length is 128000 tokens. " +
    'However, your messages resulted in 130512 tokens. Please reduce the length of the messages.',
  type: 'invalid_request_error',
  param: 'messages',
  code: 'context_length_exceeded',
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
