/**
 * Vertex AI credentials: a fixed access token, or a service-account key exchanged for access tokens
 * with the OAuth 2.0 JWT-bearer grant (RFC 7523), as Google's auth libraries do:
 *   JWT header {alg: RS256, typ: JWT, kid: private_key_id}
 *   claims {iss: client_email, scope: https://www.googleapis.com/auth/cloud-platform, aud: token_uri,
 *           iat: now, exp: now + 3600}
 *   POST token_uri, application/x-www-form-urlencoded:
 *     grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>
 *   -> {access_token, expires_in, token_type: "Bearer"}
 * Tokens are cached until 5 minutes before expiry; concurrent requests share one exchange.
 */
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GatewayError } from '../../../core/errors.js';
import { readBodyText, readErrorBody, type UpstreamClient } from '../../../core/upstream.js';

export interface ServiceAccountKey {
  type?: string;
  project_id?: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  token_uri?: string;
  [k: string]: unknown;
}

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const REFRESH_MARGIN_MS = 5 * 60_000;

/** Read a key given as an object, a JSON string, or a file path. Throws a clear Error. */
export function loadServiceAccount(source: ServiceAccountKey | string, origin: string): ServiceAccountKey {
  let key: unknown = source;
  if (typeof source === 'string') {
    const text = source.trim().startsWith('{') ? source : readKeyFile(source, origin);
    try {
      key = JSON.parse(text);
    } catch {
      throw new Error(`Vertex service account from ${origin} is not valid JSON.`);
    }
  }
  const k = key as Partial<ServiceAccountKey>;
  if (!k || typeof k.private_key !== 'string' || typeof k.client_email !== 'string') {
    throw new Error(
      `Vertex service account from ${origin} needs "client_email" and "private_key" (a service-account key file).`,
    );
  }
  return k as ServiceAccountKey;
}

function readKeyFile(path: string, origin: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`Could not read the Vertex service-account key file named by ${origin}: ${(e as Error).message}`);
  }
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export function signJwt(
  key: ServiceAccountKey,
  audience: string,
  nowSec = Math.floor(Date.now() / 1000),
  scope = CLOUD_PLATFORM_SCOPE,
): string {
  const header: Record<string, string> = { alg: 'RS256', typ: 'JWT' };
  if (key.private_key_id) header.kid = key.private_key_id;
  const claims = { iss: key.client_email, scope, aud: audience, iat: nowSec, exp: nowSec + 3600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key.private_key);
  return `${input}.${b64url(signature)}`;
}

export interface TokenSource {
  token(signal: AbortSignal): Promise<string>;
  describe(): string;
}

export class StaticToken implements TokenSource {
  constructor(readonly value: string) {}
  async token(): Promise<string> {
    return this.value;
  }
  describe(): string {
    return 'access token';
  }
}

export class ServiceAccountTokens implements TokenSource {
  #cached?: { token: string; expiresAt: number };
  #pending?: Promise<{ token: string; expiresAt: number }>;

  constructor(
    readonly provider: string,
    readonly key: ServiceAccountKey,
    readonly http: UpstreamClient,
    readonly tokenURL: string = key.token_uri ?? DEFAULT_TOKEN_URI,
  ) {}

  describe(): string {
    return `service account ${this.key.client_email}`;
  }

  async token(signal: AbortSignal): Promise<string> {
    const c = this.#cached;
    if (c && Date.now() < c.expiresAt - REFRESH_MARGIN_MS) return c.token;
    // One exchange at a time; it is not tied to any one client's signal.
    this.#pending ??= this.#exchange().finally(() => {
      this.#pending = undefined;
    });
    const got = await abortable(this.#pending, signal);
    this.#cached = got;
    return got.token;
  }

  async #exchange(): Promise<{ token: string; expiresAt: number }> {
    const assertion = signJwt(this.key, this.tokenURL);
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString();
    const res = await this.http.send(this.provider, {
      url: this.tokenURL,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: new AbortController().signal, // bounded by timeoutMs, never by one client
      timeoutMs: 30_000,
    });
    if (res.statusCode >= 400) {
      const text = await readErrorBody(res);
      let detail = `status ${res.statusCode}`;
      try {
        const j = JSON.parse(text) as { error?: unknown; error_description?: unknown };
        if (typeof j.error === 'string')
          detail = `${j.error}${typeof j.error_description === 'string' ? `: ${j.error_description}` : ''}`;
      } catch {
        /* keep the status */
      }
      const server = res.statusCode >= 500;
      throw new GatewayError(
        server ? 502 : 401,
        `Provider "${this.provider}" could not get a Google access token for ${this.key.client_email} (${detail}).`,
        {
          type: server ? 'api_error' : 'authentication_error',
          code: 'upstream_auth_failed',
          retryable: server,
          upstream: { provider: this.provider, status: res.statusCode },
        },
      );
    }
    const text = await readBodyText(this.provider, res, 30_000);
    let j: { access_token?: unknown; expires_in?: unknown };
    try {
      j = JSON.parse(text) as typeof j;
    } catch {
      throw new GatewayError(502, `Provider "${this.provider}": the token endpoint sent a malformed answer.`, {
        type: 'api_error',
        code: 'upstream_bad_response',
        retryable: true,
        upstream: { provider: this.provider },
      });
    }
    if (!j || typeof j.access_token !== 'string') {
      throw new GatewayError(502, `Provider "${this.provider}": the token endpoint answered without an access_token.`, {
        type: 'api_error',
        code: 'upstream_bad_response',
        retryable: true,
        upstream: { provider: this.provider },
      });
    }
    const ttl = typeof j.expires_in === 'number' ? j.expires_in : 3600;
    return { token: j.access_token, expiresAt: Date.now() + ttl * 1000 };
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
