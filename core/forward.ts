/**
 * Forwarding a client's request to a provider's own API (passthrough, files, batches): the URL is
 * always the provider's configured base URL plus a checked relative path, and the headers are the
 * filtered client headers with the provider's own authentication over them.
 */
import type { Readable } from 'node:stream';
import { GatewayError } from './errors.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './upstream.js';

export type ForwardMethod = NonNullable<UpstreamRequest['method']>;

/** What an adapter's `forward` receives. */
export interface ForwardRequest {
  method: ForwardMethod;
  /** Path and query relative to the provider's base URL, starting with '/' (checked by forwardPath). */
  path: string;
  /** Client headers that may go upstream (content-type, accept, beta flags); never credentials. */
  headers: Record<string, string>;
  /** Bytes, or the client's body streamed as it arrives. */
  body?: Uint8Array | Readable;
  signal: AbortSignal;
}

const badPath = (why: string) =>
  new GatewayError(400, `The passthrough path is not allowed: ${why}.`, {
    code: 'invalid_passthrough_path',
    param: 'path',
  });

/** Percent-encoded dot, slash, backslash, percent or NUL: path tricks once someone decodes them. */
const ENCODED_TRICK = /%(2e|2f|5c|25|00)/i;
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

/**
 * Check a client's relative path (and query) before it is joined to a base URL: one leading slash,
 * no empty, '.' or '..' segment, no encoded dot, slash, backslash or percent, no scheme, printable
 * ASCII only. Returns the path as given. Throws 400 invalid_passthrough_path.
 */
export function forwardPath(raw: string): string {
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  if (!path.startsWith('/') || path === '/') throw badPath('it must name an endpoint below the provider');
  if (!PATH_CHARS.test(path)) throw badPath('it may hold printable ASCII URL characters only');
  if (!QUERY_CHARS.test(query)) throw badPath('the query may hold printable ASCII URL characters only');
  if (ENCODED_TRICK.test(path)) throw badPath('encoded dots, slashes, backslashes and percents are refused');
  if (path.includes('://')) throw badPath('it must be relative, not a URL');
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    throw badPath('empty, "." and ".." segments are refused');
  return raw;
}

/** base + path, refusing (again, after URL parsing) anything that leaves the base's origin or path. */
export function forwardUrl(base: string, path: string): string {
  forwardPath(path);
  const root = new URL(base);
  const url = new URL(base.replace(/\/+$/, '') + path);
  const prefix = root.pathname.replace(/\/+$/, '');
  if (url.origin !== root.origin || !url.pathname.startsWith(`${prefix}/`))
    throw badPath("it leaves the provider's base URL");
  return url.href;
}

/** Send a forwarded request: base URL from config, provider auth over the client's headers. Any status is returned. */
export function sendForward(
  http: UpstreamClient,
  provider: string,
  base: string,
  auth: Record<string, string>,
  req: ForwardRequest,
): Promise<UpstreamResponse> {
  return http.send(provider, {
    url: forwardUrl(base, req.path),
    method: req.method,
    headers: { ...req.headers, ...auth },
    body: req.body,
    signal: req.signal,
  });
}
