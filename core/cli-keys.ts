/**
 * `switchyard keys list|create|revoke`: virtual keys on a running gateway, through its admin API
 * (POST/GET /admin/keys, DELETE /admin/keys/:id). The admin key comes from SWITCHYARD_ADMIN_KEY (or
 * --admin-key); every failure ends in one sentence that says what to do.
 */

export interface KeysOptions {
  url?: string;
  'admin-key'?: string;
  name?: string;
  project?: string;
  id?: string;
  models?: string;
  budget?: string;
  json?: boolean;
}

interface PublicKey {
  id: string;
  name?: string;
  project?: string;
  status: string;
  source: string;
  createdAt: string | null;
  key?: string;
}

class KeysError extends Error {}

const USAGE =
  'usage: switchyard keys list | keys create [--name N] [--project P] [--id ID] [--models a,b] ' +
  '[--budget USD[/period]] | keys revoke ID';
const PERIODS = ['day', 'week', 'month', 'lifetime'];

export async function keysCommand(args: string[], o: KeysOptions, env = process.env): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub !== 'list' && sub !== 'create' && sub !== 'revoke') {
      throw new KeysError(sub ? `unknown keys command "${sub}". ${USAGE}` : USAGE);
    }
    const base = (o.url ?? env.SWITCHYARD_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(base)) {
      throw new KeysError(`--url must be an http(s) URL of the gateway (got "${base}")`);
    }
    const adminKey = o['admin-key'] ?? env.SWITCHYARD_ADMIN_KEY;
    if (!adminKey) {
      throw new KeysError(
        "keys needs the gateway's admin key: " +
          'set SWITCHYARD_ADMIN_KEY (the value of governance.adminKey), or pass --admin-key',
      );
    }
    const api = (method: string, path: string, body?: unknown) => call(base, adminKey, method, path, body);
    if (sub === 'list') {
      if (rest.length) throw new KeysError(`keys list takes no arguments. ${USAGE}`);
      const res = (await api('GET', '/admin/keys')) as { data: PublicKey[] };
      process.stdout.write(o.json ? `${JSON.stringify(res, null, 2)}\n` : table(res.data));
      return 0;
    }
    if (sub === 'create') {
      if (rest.length) throw new KeysError(`keys create takes options, not "${rest[0]}". ${USAGE}`);
      const created = (await api('POST', '/admin/keys', createBody(o))) as PublicKey;
      if (o.json) process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
      else {
        process.stdout.write(
          `created key "${created.id}"${created.project ? ` (project ${created.project})` : ''}\n` +
            `key: ${created.key}\n` +
            'This is the only time the key is shown (the gateway keeps its hash only): store it now.\n',
        );
      }
      return 0;
    }
    const id = rest[0];
    if (!id || rest.length > 1) throw new KeysError(`keys revoke takes one key id. ${USAGE}`);
    const revoked = (await api('DELETE', `/admin/keys/${encodeURIComponent(id)}`)) as PublicKey;
    process.stdout.write(o.json ? `${JSON.stringify(revoked, null, 2)}\n` : `revoked key "${revoked.id}"\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`switchyard: ${e instanceof KeysError ? e.message : (e as Error).message}\n`);
    return 1;
  }
}

function createBody(o: KeysOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.id !== undefined) body.id = o.id;
  if (o.name !== undefined) body.name = o.name;
  if (o.project !== undefined) body.project = o.project;
  if (o.models !== undefined)
    body.models = o.models
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
  if (o.budget !== undefined) {
    const m = /^\$?(\d+(?:\.\d+)?)(?:\/(\w+))?$/.exec(o.budget.trim());
    const period = m?.[2] ?? 'month';
    if (!m || Number(m[1]) <= 0 || !PERIODS.includes(period)) {
      throw new KeysError(
        '--budget must be USD, optionally per period, e.g. 25 or 25/month ' +
          `(periods: ${PERIODS.join(', ')}); got "${o.budget}"`,
      );
    }
    body.budgets = [{ limitUsd: Number(m[1]), period }];
  }
  return body;
}

async function call(base: string, adminKey: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new KeysError(
      `no gateway answers at ${base} (${cause}). ` +
        'Start one with `switchyard start`, or point --url (or SWITCHYARD_URL) at it',
    );
  }
  const text = await res.text();
  let json: { error?: { message?: string; code?: string } } | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok && json) return json;
  const err = json?.error;
  if (res.status === 401) {
    throw new KeysError(
      `the gateway at ${base} refused the admin key (${err?.code ?? 401}): ` +
        'use its governance.adminKey (SWITCHYARD_ADMIN_KEY)',
    );
  }
  if (res.status === 404 && (!err || err.code === 'unknown_url' || !err.code)) {
    throw new KeysError(
      `${base} has no admin API (${method} ${path} is 404): the gateway needs a governance section ` +
        'in its config (docs/governance.md), and --url must include its server.prefix if it has one',
    );
  }
  if (err?.message) throw new KeysError(`${err.message} (HTTP ${res.status}${err.code ? ` ${err.code}` : ''})`);
  throw new KeysError(`unexpected answer from ${base}${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

function table(keys: PublicKey[]): string {
  if (!keys.length) return 'no virtual keys (create one with `switchyard keys create --name NAME`)\n';
  const rows = [
    ['ID', 'NAME', 'PROJECT', 'STATUS', 'SOURCE', 'CREATED'],
    ...keys.map((k) => [k.id, k.name ?? '', k.project ?? '', k.status, k.source, k.createdAt ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
