/**
 * The web dashboard at /dashboard: a login form for the admin key (an opaque session cookie, never
 * the key), then usage analytics, costs, budgets, the error log, target health and key management;
 * and a status page (public or behind the login) with per-provider availability and latency.
 * Every number comes from the admin API (governance's routes and ./analytics.ts), called in-process
 * with the admin key: scripts get the same data from the same URLs. See docs/dashboard.md.
 */
import { createHash } from 'node:crypto';
import type Koa from 'koa';
import type { Gateway } from '../../core/gateway-types.js';
import { clientAddressResolver } from '../../core/http/client-address.js';
import { readBody } from '../../core/http/body.js';
import { definePlugin } from '../../core/plugin.js';
import type { RouteAuth } from '../../core/routes.js';
import { secretEquals, sha256 } from '../../core/secrets.js';
import { LOCAL_ADMIN_KEY, type GovernanceConfig } from '../governance/index.js';
import { forward } from './admin-call.js';
import { Analytics } from './analytics.js';
import { buildBundle, readBundle } from './build.js';
import { appPage, loginPage, statusPage } from './pages.js';
import { LoginBackoff, Sessions, type Session } from './sessions.js';

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
  /**
   * The answer to a wrong admin key waits this long, doubling with each further failure from the same
   * client address within 15 minutes, up to loginMaxDelayMs. Default 250 / 8000 ms. A correct key never
   * waits and is never refused. Behind a proxy, set server.trustedProxies so addresses are the clients'.
   */
  loginDelayMs?: number;
  loginMaxDelayMs?: number;
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    adminKey: { type: 'string', minLength: 8 },
    sessionMinutes: { type: 'integer', minimum: 1, maximum: 10080 },
    publicStatus: { type: 'boolean' },
    title: { type: 'string', minLength: 1, maxLength: 80 },
    secureCookie: { type: 'boolean' },
    loginDelayMs: { type: 'integer', minimum: 0, maximum: 60_000 },
    loginMaxDelayMs: { type: 'integer', minimum: 0, maximum: 600_000 },
  },
};

const COOKIE = 'sy_dash';
const FORM_LIMIT = 8 * 1024;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const dashboard = definePlugin<DashboardOptions>({
  name: 'dashboard',
  schema,
  // Every number comes from governance's admin API: without it the gateway does not boot.
  dependencies: ['governance'],
  async apply(gateway: Gateway, o) {
    const gov = (gateway.config.governance || undefined) as GovernanceConfig | undefined;
    const adminKey = o.adminKey ?? gov?.adminKey ?? process.env.SWITCHYARD_ADMIN_KEY;
    const adminHash = adminKey ? sha256(adminKey) : undefined;
    if (secretEquals(adminKey, LOCAL_ADMIN_KEY)) {
      gateway.loopbackOnly.add(
        'dashboard',
        'signs in with the well-known development admin key (set SWITCHYARD_ADMIN_KEY to a key of your own)',
      );
    }
    const prefix = gateway.config.server.prefix;
    const base = `${prefix}/dashboard`;
    const title = o.title ?? 'Switchyard';
    const sessions = new Sessions((o.sessionMinutes ?? 480) * 60_000);
    const failures = new LoginBackoff({
      baseMs: o.loginDelayMs ?? 250,
      maxMs: Math.max(o.loginDelayMs ?? 250, o.loginMaxDelayMs ?? 8000),
      windowMs: 15 * 60_000,
      maxPending: 5,
    });
    const clientAddress = clientAddressResolver(gateway.config.server.trustedProxies);
    const analytics = new Analytics(gateway, adminKey);
    analytics.mount();

    let assets = readBundle();
    if (!assets) {
      const t = performance.now();
      assets = await buildBundle();
      gateway.log.info({ ms: Math.round(performance.now() - t) }, 'dashboard: bundle built');
    }
    const etags = new Map(
      [...assets].map(([name, data]) => [name, `"${createHash('sha1').update(data).digest('base64url')}"`]),
    );

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
        httpOnly: true,
        sameSite: 'strict',
        secure: o.secureCookie ?? kctx.secure,
        path: base,
        overwrite: true,
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
      json(kctx, status, {
        error: { message, type: status === 401 ? 'authentication_error' : 'invalid_request_error', param: null, code },
      });

    /** Pages behind the login: without a session, a redirect to the sign-in page. */
    const signedInPage: RouteAuth = {
      auth: 'custom',
      what: 'a dashboard session (else a redirect to the sign-in page)',
      guard: (kctx) => {
        if (sessionOf(kctx)) return true;
        kctx.set('cache-control', 'no-store');
        kctx.status = 303;
        kctx.redirect(base);
        return false;
      },
    };
    /** Dashboard API calls: a session, and for other methods than GET its CSRF token. */
    const signedInApi: RouteAuth = {
      auth: 'custom',
      what: 'a dashboard session (and its CSRF token for changes)',
      guard: (kctx) => {
        const s = sessionOf(kctx);
        if (!s) apiError(kctx, 401, 'not_signed_in', 'Sign in to the dashboard first.');
        else if (kctx.method !== 'GET' && !secretEquals(kctx.get('x-csrf-token'), s.csrf)) {
          apiError(kctx, 403, 'csrf', 'Missing or wrong CSRF token.');
        } else return true;
        return false;
      },
    };
    const publicStatus = (what: string): RouteAuth => ({
      auth: 'public',
      reason: `dashboard.publicStatus: true (${what})`,
    });

    gateway.route({
      method: 'get',
      path: '/dashboard',
      auth: 'public',
      reason: 'the sign-in page; the app is served only with a session',
      handler: (kctx) => {
        const s = sessionOf(kctx);
        if (!s)
          return html(
            kctx,
            loginPage({
              base,
              title,
              error: adminHash
                ? undefined
                : 'The admin key is not configured: set governance.adminKey or SWITCHYARD_ADMIN_KEY.',
            }),
          );
        html(kctx, appPage({ base, title, csrf: s.csrf }));
      },
    });
    gateway.route({
      method: 'get',
      path: '/dashboard/status',
      ...(o.publicStatus ? publicStatus('the status page') : signedInPage),
      handler: (kctx) => html(kctx, statusPage({ base, title, signedIn: Boolean(sessionOf(kctx)) })),
    });
    const login = async (kctx: Koa.Context) => {
      const form = await readForm(kctx);
      const key = form.get('key') ?? '';
      if (!adminHash) return html(kctx, loginPage({ base, title, error: 'The admin key is not configured.' }), 403);
      const ip = clientAddress(kctx.req);
      // The key is checked first: a correct key is never delayed or refused, whatever others did.
      if (!key || !secretEquals(key, adminHash)) {
        const delay = failures.fail(ip);
        kctx.set('x-switchyard-login', 'failed');
        if (!failures.hold(ip)) {
          kctx.set('retry-after', String(Math.max(1, Math.ceil(delay / 1000))));
          return html(
            kctx,
            loginPage({ base, title, error: 'Too many failed sign-ins from this address at once: wait a moment.' }),
            429,
          );
        }
        gateway.log.warn({ ip }, 'dashboard: failed login');
        try {
          await new Promise((r) => setTimeout(r, delay));
        } finally {
          failures.release(ip);
        }
        // 200 with the error on the page (a 4xx document is a console error in browsers); no cookie is set
        return html(kctx, loginPage({ base, title, error: 'That is not the admin key.' }));
      }
      const old = kctx.cookies.get(COOKIE);
      if (old) sessions.delete(old);
      cookie(kctx, sessions.create().id);
      gateway.log.info({ ip }, 'dashboard: signed in');
      kctx.set('cache-control', 'no-store');
      kctx.redirect(base);
      kctx.status = 303;
    };
    const logout = async (kctx: Koa.Context) => {
      const s = sessionOf(kctx);
      const form = await readForm(kctx);
      if (s && secretEquals(form.get('csrf') ?? '', s.csrf)) sessions.delete(s.id);
      cookie(kctx, null);
      kctx.redirect(base);
      kctx.status = 303;
    };
    const asset = (kctx: Koa.Context) => {
      const data = assets!.get(kctx.params.file);
      if (!data) return apiError(kctx, 404, 'unknown_url', 'No such asset.');
      secureHeaders(kctx);
      const etag = etags.get(kctx.params.file)!;
      kctx.set('etag', etag);
      kctx.set('cache-control', 'no-cache');
      if (kctx.get('if-none-match') === etag) {
        kctx.status = 304;
        return;
      }
      kctx.type = TYPES[kctx.params.file.split('.').pop()!];
      kctx.body = data;
    };
    gateway.route({
      method: 'post',
      path: '/dashboard/login',
      handler: login,
      auth: 'public',
      reason: 'the sign-in form: checks the admin key itself, with backoff',
    });
    gateway.route({
      method: 'post',
      path: '/dashboard/logout',
      handler: logout,
      auth: 'public',
      reason: "signing out ends the caller's own session (CSRF-checked)",
    });
    gateway.route({
      method: 'get',
      path: '/dashboard/assets/:file',
      handler: asset,
      auth: 'public',
      reason: "the sign-in page's script and style",
    });
    // The status data: public when the page is, else the session (or the admin key at /admin/status).
    gateway.route({
      method: 'get',
      path: '/dashboard/api/status',
      ...(o.publicStatus ? publicStatus('the status data') : signedInApi),
      handler: async (kctx) => {
        if (!adminKey) return apiError(kctx, 403, 'admin_disabled', 'The admin key is not configured.');
        json(kctx, 200, await analytics.status());
      },
    });
    // Everything else under /dashboard/api/ is the admin API, for a signed-in session. Requests
    // other than GET need the session's CSRF token in x-csrf-token (the cookie is SameSite=Strict too).
    const proxy = async (kctx: Koa.Context) => {
      const rest = kctx.path.slice(`${base}/api`.length);
      if (!/^\/admin\/[A-Za-z0-9._:/-]*$/.test(rest) || rest.includes('..'))
        return apiError(kctx, 404, 'unknown_url', 'Not an admin API URL.');
      secureHeaders(kctx);
      kctx.set('cache-control', 'no-store');
      if (!(await forward(gateway, kctx, prefix + rest, adminKey!)))
        apiError(kctx, 404, 'unknown_url', `No admin route ${kctx.method} ${rest}.`);
    };
    // a RegExp route (the router does not prefix those, so the prefix is in it)
    const apiPath = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/dashboard/api/admin/.*`);
    gateway.route({ method: ['get', 'post', 'patch', 'delete'], path: apiPath, ...signedInApi, handler: proxy });

    gateway.hooks.close.tapPromise('dashboard', async () => {
      sessions.clear();
    });
  },
});

async function readForm(kctx: Koa.Context): Promise<URLSearchParams> {
  if (!/application\/x-www-form-urlencoded/.test(kctx.get('content-type'))) return new URLSearchParams();
  // The host app's body parser (library mode) may have read the form already: readBody uses what it left.
  const source = await readBody(kctx, FORM_LIMIT).catch(() => undefined);
  if (!source) return new URLSearchParams();
  if ('raw' in source) return new URLSearchParams(source.raw.toString());
  const fields = source.parsed && typeof source.parsed === 'object' ? Object.entries(source.parsed as object) : [];
  return new URLSearchParams(fields.filter(([, v]) => typeof v === 'string') as Array<[string, string]>);
}
