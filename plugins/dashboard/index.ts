/**
 * The web dashboard at /dashboard: a login form for the admin key (an opaque session cookie, never
 * the key), then usage analytics, costs, budgets, the error log, target health and key management;
 * and a status page (public or behind the login) with per-provider availability and latency.
 * Every number comes from the admin API (governance's routes and ./analytics.ts), called in-process
 * with the admin key: scripts get the same data from the same URLs. See docs/dashboard.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import type { Gateway } from '../../core/gateway-types.js';
import { definePlugin } from '../../core/plugin.js';
import type { GovernanceConfig } from '../governance/types.js';
import { findRoute, forward } from './admin-call.js';
import { Analytics } from './analytics.js';
import { buildBundle, readBundle } from './build.js';
import { appPage, loginPage, statusPage } from './pages.js';
import { LoginFailures, Sessions, type Session } from './sessions.js';

export interface DashboardOptions {
  /** The admin key (default: governance.adminKey, else env SWITCHYARD_ADMIN_KEY). */
  adminKey?: string;
  /** Session lifetime. Default 480 minutes (8 hours). */
  sessionMinutes?: number;
  /** Status page at /dashboard/status: public (no login) or behind the login. Default false (login). */
  publicStatus?: boolean;
  /** Title shown in the header. Default "Switchyard". */
  title?: string;
  /** Mark the cookie Secure: default when the request is HTTPS; set true behind a TLS-terminating proxy. */
  secureCookie?: boolean;
}

const schema = {
  type: 'object', additionalProperties: false,
  properties: {
    adminKey: { type: 'string', minLength: 8 },
    sessionMinutes: { type: 'integer', minimum: 1, maximum: 10080 },
    publicStatus: { type: 'boolean' },
    title: { type: 'string', minLength: 1, maxLength: 80 },
    secureCookie: { type: 'boolean' },
  },
};

const COOKIE = 'sy_dash';
const FORM_LIMIT = 8 * 1024;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const digest = (s: string) => createHash('sha256').update(s).digest();

export const dashboard = definePlugin<DashboardOptions>({
  name: 'dashboard',
  schema,
  async apply(gateway: Gateway, o) {
    const gov = (gateway.config.governance || undefined) as GovernanceConfig | undefined;
    const adminKey = o.adminKey ?? gov?.adminKey ?? process.env.SWITCHYARD_ADMIN_KEY;
    const adminHash = adminKey ? digest(adminKey) : undefined;
    const prefix = gateway.config.server.prefix;
    const base = `${prefix}/dashboard`;
    const title = o.title ?? 'Switchyard';
    const sessions = new Sessions((o.sessionMinutes ?? 480) * 60_000);
    const failures = new LoginFailures(10, 60_000);
    if (!findRoute(gateway, 'GET', `${prefix}/admin/usage`)) {
      gateway.log.warn('dashboard: no /admin/usage route; turn on the governance section (or add the governance plugin before the dashboard)');
    }
    const analytics = new Analytics(gateway, adminKey);
    analytics.mount();

    let assets = readBundle();
    if (!assets) {
      const t = performance.now();
      assets = await buildBundle();
      gateway.log.info({ ms: Math.round(performance.now() - t) }, 'dashboard: bundle built');
    }
    const etags = new Map([...assets].map(([name, data]) => [name, `"${createHash('sha1').update(data).digest('base64url')}"`]));
    const { router } = gateway;

    const secureHeaders = (kctx: Koa.Context) => {
      kctx.set('content-security-policy', CSP);
      kctx.set('x-content-type-options', 'nosniff');
      kctx.set('referrer-policy', 'no-referrer');
      kctx.set('x-frame-options', 'DENY');
    };
    const html = (kctx: Koa.Context, body: string, status = 200) => {
      secureHeaders(kctx);
      kctx.set('cache-control', 'no-store');
      kctx.status = status;
      kctx.type = 'text/html; charset=utf-8';
      kctx.body = body;
    };
    const sessionOf = (kctx: Koa.Context): Session | undefined => sessions.get(kctx.cookies.get(COOKIE));
    const cookie = (kctx: Koa.Context, value: string | null) => {
      // behind a TLS-terminating proxy the request looks like HTTP; the cookies library refuses Secure then
      if (o.secureCookie) (kctx.cookies as unknown as { secure: boolean }).secure = true;
      kctx.cookies.set(COOKIE, value, {
        httpOnly: true, sameSite: 'strict', secure: o.secureCookie ?? kctx.secure, path: base, overwrite: true,
        ...(value ? { maxAge: sessions.ttlMs } : { maxAge: 0, expires: new Date(0) }),
      });
    };
    const json = (kctx: Koa.Context, status: number, body: unknown) => {
      secureHeaders(kctx);
      kctx.set('cache-control', 'no-store');
      kctx.status = status;
      kctx.body = body;
    };
    const apiError = (kctx: Koa.Context, status: number, code: string, message: string) =>
      json(kctx, status, { error: { message, type: status === 401 ? 'authentication_error' : 'invalid_request_error', param: null, code } });

    router.get('/dashboard', (kctx) => {
      const s = sessionOf(kctx);
      if (!s) return html(kctx, loginPage({ base, title, error: adminHash ? undefined : 'The admin key is not configured: set governance.adminKey or SWITCHYARD_ADMIN_KEY.' }));
      html(kctx, appPage({ base, title, csrf: s.csrf }));
    });
    router.get('/dashboard/status', (kctx) => {
      const s = sessionOf(kctx);
      if (!o.publicStatus && !s) {
        kctx.set('cache-control', 'no-store');
        kctx.status = 303;
        kctx.redirect(base);
        return;
      }
      html(kctx, statusPage({ base, title, signedIn: Boolean(s) }));
    });
    router.post('/dashboard/login', async (kctx) => {
      const form = await readForm(kctx);
      const key = form.get('key') ?? '';
      if (!adminHash) return html(kctx, loginPage({ base, title, error: 'The admin key is not configured.' }), 403);
      if (failures.blocked(kctx.ip)) {
        kctx.set('retry-after', '60');
        return html(kctx, loginPage({ base, title, error: 'Too many failed sign-ins from this address: wait a minute.' }), 429);
      }
      if (!key || !timingSafeEqual(digest(key), adminHash)) {
        failures.add(kctx.ip);
        gateway.log.warn({ ip: kctx.ip }, 'dashboard: failed login');
        await new Promise((r) => setTimeout(r, 250));
        // 200 with the error on the page (a 4xx document is a console error in browsers); no cookie is set
        kctx.set('x-switchyard-login', 'failed');
        return html(kctx, loginPage({ base, title, error: 'That is not the admin key.' }));
      }
      const old = kctx.cookies.get(COOKIE);
      if (old) sessions.delete(old);
      cookie(kctx, sessions.create().id);
      gateway.log.info({ ip: kctx.ip }, 'dashboard: signed in');
      kctx.set('cache-control', 'no-store');
      kctx.redirect(base);
      kctx.status = 303;
    });
    router.post('/dashboard/logout', async (kctx) => {
      const s = sessionOf(kctx);
      const form = await readForm(kctx);
      if (s && safeEqual(form.get('csrf') ?? '', s.csrf)) sessions.delete(s.id);
      cookie(kctx, null);
      kctx.redirect(base);
      kctx.status = 303;
    });
    router.get('/dashboard/assets/:file', (kctx) => {
      const data = assets!.get(kctx.params.file);
      if (!data) return apiError(kctx, 404, 'unknown_url', 'No such asset.');
      secureHeaders(kctx);
      const etag = etags.get(kctx.params.file)!;
      kctx.set('etag', etag);
      kctx.set('cache-control', 'no-cache');
      if (kctx.get('if-none-match') === etag) { kctx.status = 304; return; }
      kctx.type = TYPES[kctx.params.file.split('.').pop()!];
      kctx.body = data;
    });
    // The status data: public when the page is, else the session (or the admin key at /admin/status).
    router.get('/dashboard/api/status', async (kctx) => {
      if (!o.publicStatus && !sessionOf(kctx)) return apiError(kctx, 401, 'not_signed_in', 'Sign in to the dashboard first.');
      if (!adminKey) return apiError(kctx, 403, 'admin_disabled', 'The admin key is not configured.');
      json(kctx, 200, await analytics.status());
    });
    // Everything else under /dashboard/api/ is the admin API, for a signed-in session. Requests
    // other than GET need the session's CSRF token in x-csrf-token (the cookie is SameSite=Strict too).
    const proxy = async (kctx: Koa.Context) => {
      const s = sessionOf(kctx);
      if (!s) return apiError(kctx, 401, 'not_signed_in', 'Sign in to the dashboard first.');
      if (kctx.method !== 'GET' && !safeEqual(kctx.get('x-csrf-token'), s.csrf)) return apiError(kctx, 403, 'csrf', 'Missing or wrong CSRF token.');
      const rest = kctx.path.slice(`${base}/api`.length);
      if (!/^\/admin\/[A-Za-z0-9._:/-]*$/.test(rest) || rest.includes('..')) return apiError(kctx, 404, 'unknown_url', 'Not an admin API URL.');
      secureHeaders(kctx);
      kctx.set('cache-control', 'no-store');
      if (!(await forward(gateway, kctx, prefix + rest, adminKey!))) apiError(kctx, 404, 'unknown_url', `No admin route ${kctx.method} ${rest}.`);
    };
    // a RegExp route (the router does not prefix those, so the prefix is in it)
    const apiPath = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/dashboard/api/admin/.*`);
    for (const m of ['get', 'post', 'patch', 'delete'] as const) router[m](apiPath as unknown as string, proxy);

    gateway.hooks.close.tapPromise('dashboard', async () => { sessions.clear(); });
  },
});

function safeEqual(a: string, b: string): boolean {
  const x = digest(a);
  const y = digest(b);
  return timingSafeEqual(x, y);
}

async function readForm(kctx: Koa.Context): Promise<URLSearchParams> {
  if (!/application\/x-www-form-urlencoded/.test(kctx.get('content-type'))) return new URLSearchParams();
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of kctx.req) {
    size += (chunk as Buffer).length;
    if (size > FORM_LIMIT) return new URLSearchParams();
    parts.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(parts).toString('utf8'));
}
