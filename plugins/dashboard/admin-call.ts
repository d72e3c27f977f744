/**
 * Calling the gateway's own admin API in-process: the dashboard's server side answers with exactly
 * what a script with the admin key gets from the same URL (no private state is read). The route is
 * looked up in the gateway's router and its handlers run with the admin key presented.
 */
import type Koa from 'koa';
import type { Gateway } from '../../core/gateway-types.js';

type Layer = {
  methods: string[];
  stack: Array<(ctx: unknown, next: () => Promise<void>) => unknown>;
  params(path: string, captures: string[], params?: Record<string, string>): Record<string, string>;
  captures(path: string): string[];
};

export function findRoute(gateway: Gateway, method: string, path: string): Layer | undefined {
  const m = (gateway.router as unknown as { match(p: string, m: string): { pathAndMethod: Layer[] } }).match(
    path,
    method,
  );
  return m.pathAndMethod.find((l) => l.methods.length > 0);
}

async function run(layer: Layer, ctx: unknown): Promise<void> {
  const dispatch = async (i: number): Promise<void> => {
    const fn = layer.stack[i];
    if (fn) await fn(ctx, () => dispatch(i + 1));
  };
  await dispatch(0);
}

/** Forward the current request (method, query, body) to an admin route, as the admin. */
export async function forward(gateway: Gateway, kctx: Koa.Context, path: string, adminKey: string): Promise<boolean> {
  const layer = findRoute(gateway, kctx.method, path);
  if (!layer) return false;
  const headers = kctx.req.headers;
  const saved = { authorization: headers.authorization, 'x-api-key': headers['x-api-key'], cookie: headers.cookie };
  headers.authorization = `Bearer ${adminKey}`;
  delete headers['x-api-key'];
  delete headers.cookie;
  const params = kctx.params;
  try {
    (kctx as unknown as { params: Record<string, string> }).params = layer.params(path, layer.captures(path), {});
    await run(layer, kctx);
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete headers[k];
      else headers[k] = v as string;
    (kctx as unknown as { params: unknown }).params = params;
  }
  return true;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
  type: string;
}

/** GET an admin route in-process; `path` is prefix-relative ("/admin/usage"). */
export async function adminGet(
  gateway: Gateway,
  path: string,
  query: Record<string, string | undefined>,
  adminKey: string,
): Promise<AdminAnswer> {
  const full = gateway.config.server.prefix + path;
  const layer = findRoute(gateway, 'GET', full);
  if (!layer) return { status: 404, body: undefined, type: '' };
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q[k] = v;
  const headers: Record<string, string> = { authorization: `Bearer ${adminKey}`, accept: 'application/json' };
  const out = { status: 404, body: undefined as unknown, type: '' };
  const ctx = {
    method: 'GET',
    path: full,
    query: q,
    headers,
    req: { headers },
    request: { query: q, headers },
    params: layer.params(full, layer.captures(full), {}),
    get: (name: string) => headers[name.toLowerCase()] ?? '',
    set: () => undefined,
    get status() {
      return out.status;
    },
    set status(s: number) {
      out.status = s;
    },
    get body() {
      return out.body;
    },
    set body(b: unknown) {
      out.body = b;
      if (out.status === 404) out.status = 200;
    },
    get type() {
      return out.type;
    },
    set type(t: string) {
      out.type = t;
    },
  };
  await run(layer, ctx);
  return out;
}
