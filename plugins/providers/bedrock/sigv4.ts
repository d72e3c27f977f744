/**
 * AWS Signature Version 4 (header form) with node:crypto. Rules as AWS documents them
 * ("Create a signed AWS API request") and as the SDKs implement them for every service but S3:
 * - canonical URI: the path as sent (already URI-encoded once), each segment URI-encoded again
 *   (so a model id `v1:0`, sent as `v1%3A0`, is signed as `v1%253A0`); empty path -> "/";
 * - canonical query: parameters URI-encoded (RFC 3986 unreserved kept), sorted by name then value;
 * - canonical headers: lower-case names, values trimmed with inner runs of spaces collapsed, sorted;
 * - payload hash: hex SHA-256 of the body;
 * - string to sign: AWS4-HMAC-SHA256, x-amz-date, scope date/region/service/aws4_request, hash of
 *   the canonical request; key: HMAC chain "AWS4"+secret -> date -> region -> service -> aws4_request.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignInput {
  method: string;
  url: string;
  /** Headers to sign and send (host is derived from the URL and signed, not returned). */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  region: string;
  service: string;
  credentials: AwsCredentials;
  now?: Date;
}

export interface Signed {
  /** Headers to send: the input headers plus x-amz-date, x-amz-security-token and authorization. */
  headers: Record<string, string>;
  signature: string;
  canonicalRequest: string;
  stringToSign: string;
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Canonical URI for non-S3 services: normalise the path and encode each segment again. */
export function canonicalUri(path: string): string {
  if (!path || path === '/') return '/';
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(uriEncode(seg));
  }
  const joined = '/' + out.join('/');
  return path.endsWith('/') && out.length ? joined + '/' : joined;
}

/** Canonical query string from a raw query (without '?'). */
export function canonicalQuery(query: string): string {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const k = decodeURIComponent((eq === -1 ? p : p.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq === -1 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, ' '));
      return [uriEncode(k), uriEncode(v)] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
}

/** "20150830T123600Z" */
export function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function signRequest(input: SignInput): Signed {
  const url = new URL(input.url);
  const date = amzDate(input.now ?? new Date());
  const day = date.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['x-amz-date'] = date;
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  delete headers.authorization;

  const toSign: Record<string, string> = { ...headers, host: url.host };
  const names = Object.keys(toSign).sort();
  const canonicalHeaders = names.map((n) => `${n}:${toSign[n].trim().replace(/ +/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.search.slice(1)),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(input.body ?? ''),
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac(
    'sha256',
    signingKey(input.credentials.secretAccessKey, day, input.region, input.service),
  )
    .update(stringToSign, 'utf8')
    .digest('hex');
  const credential = `${input.credentials.accessKeyId}/${scope}`;
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credential}, ` + `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, signature, canonicalRequest, stringToSign };
}
