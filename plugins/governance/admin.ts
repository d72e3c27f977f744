/**
 * The admin API (admin key required): virtual keys (create -> the key is shown once; list, get,
 * update, revoke), budgets, usage with filters, group_by and CSV; and GET /v1/usage, where a client
 * key reads its own usage. Every answer is metadata: never a key, never a hash, never content.
 */
import type Koa from 'koa';
import { GatewayError } from '../../core/errors.js';
import type { Gateway } from '../../core/gateway-types.js';
import { readJson } from '../../core/http/body.js';
import type { RouteMethod } from '../../core/routes.js';
import { compile, formatAjvError } from '../../core/validation.js';
import { sha256 } from '../../core/secrets.js';
import { publicKey, type KeyAttributes, type KeyRegistry } from './keys.js';
import type { LedgerBatcher } from './ledger/batcher.js';
import type { Ledger } from './ledger/types.js';
import { keyAttributesSchema } from './schema.js';
import { groupsCsv, parseUsageQuery, recordsCsv } from './usage-api.js';

export interface AdminDeps {
  adminKey?: string;
  keys: KeyRegistry;
  ledger: Ledger;
  batcher: LedgerBatcher;
  timeZone: string;
  budgets(): Promise<unknown[]>;
}

const createSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' }, ...keyAttributesSchema },
};
const nullable = Object.fromEntries(
  Object.entries(keyAttributesSchema).map(([k, s]) => [k, { anyOf: [{ type: 'null' }, s] }]),
);
const updateSchema = { type: 'object', additionalProperties: false, properties: nullable };
const validateCreate = compile(createSchema);
const validateUpdate = compile(updateSchema);

const RECORDS_LIMIT = 100_000;

function body<T>(validate: ReturnType<typeof compile>, value: unknown): T {
  if (!validate(value)) {
    const f = formatAjvError(validate.errors![0], '', value);
    throw new GatewayError(400, `${f.path} ${f.message}.`, { code: 'invalid_request', param: f.path });
  }
  return value as T;
}

export function mountAdmin(gateway: Gateway, deps: AdminDeps): void {
  const limit = gateway.config.server.bodyLimit;
  /** An admin API route: the admin key is checked by the core before the handler runs. */
  const admin = (method: RouteMethod, path: string, handler: (kctx: Koa.Context) => Promise<void>) =>
    gateway.route({ method, path, auth: 'admin', adminKey: deps.adminKey, handler });

  /** Key changes go to the audit hook (event export): ids and attribute names, never the key. */
  const audit = (type: string, fields: Record<string, unknown>) => {
    if (gateway.hooks.audit.isUsed()) gateway.hooks.audit.call({ type, time: Date.now(), ...fields });
  };

  const found = (id: string) => {
    const k = deps.keys.get(id);
    if (!k) throw new GatewayError(404, `No key with id "${id.slice(0, 64)}".`, { code: 'key_not_found' });
    return k;
  };
  const mutable = (id: string) => {
    const k = found(id);
    if (k.source === 'config')
      throw new GatewayError(409, `Key "${id}" is defined in the configuration; change it there.`, {
        code: 'config_key_immutable',
      });
    return k;
  };

  admin('post', '/admin/keys', async (kctx) => {
    const { id, ...attrs } = body<KeyAttributes & { id?: string }>(validateCreate, await readJson(kctx, limit));
    if (id && deps.keys.get(id)) throw new GatewayError(409, `A key with id "${id}" exists.`, { code: 'key_exists' });
    const { key, record } = await deps.keys.create(attrs, id);
    gateway.log.info({ keyId: record.id, project: record.project }, 'virtual key created');
    audit('key.created', {
      keyId: record.id,
      ...(record.project ? { project: record.project } : {}),
      ...(record.name ? { name: record.name } : {}),
    });
    kctx.status = 201;
    kctx.body = { ...publicKey(record), key };
  });
  admin('get', '/admin/keys', async (kctx) => {
    kctx.body = { object: 'list', data: deps.keys.list().map((k) => publicKey(k)) };
  });
  admin('get', '/admin/keys/:id', async (kctx) => {
    kctx.body = publicKey(found(kctx.params.id));
  });
  admin('patch', '/admin/keys/:id', async (kctx) => {
    mutable(kctx.params.id);
    const attrs = body<KeyAttributes>(validateUpdate, await readJson(kctx, limit));
    const updated = await deps.keys.update(kctx.params.id, attrs);
    audit('key.updated', { keyId: updated.id, fields: Object.keys(attrs) });
    kctx.body = publicKey(updated);
  });
  admin('delete', '/admin/keys/:id', async (kctx) => {
    mutable(kctx.params.id);
    const k = await deps.keys.revoke(kctx.params.id);
    gateway.log.info({ keyId: k.id }, 'virtual key revoked');
    audit('key.revoked', { keyId: k.id });
    kctx.body = publicKey(k);
  });
  admin('get', '/admin/budgets', async (kctx) => {
    kctx.body = { object: 'list', data: await deps.budgets() };
  });
  admin('get', '/admin/usage', async (kctx) => {
    await usage(kctx, parseUsageQuery(kctx.query, kctx.get('accept')));
  });

  // A client key reads its own usage.
  gateway.route({
    method: 'get',
    path: '/v1/usage',
    auth: 'key',
    handler: async (kctx, ctx) => {
      if (!ctx.principal) throw new GatewayError(404, 'Usage per key needs client keys.', { code: 'unknown_url' });
      const params = parseUsageQuery(kctx.query, kctx.get('accept'));
      params.filter.key = ctx.principal.id;
      if (params.groupBy.includes('key')) params.groupBy = params.groupBy.filter((g) => g !== 'key');
      await usage(kctx, params);
    },
  });

  async function usage(kctx: Koa.Context, p: ReturnType<typeof parseUsageQuery>): Promise<void> {
    await deps.batcher.flush();
    if (p.csv) {
      kctx.type = 'text/csv';
      kctx.set('content-disposition', 'attachment; filename="usage.csv"');
      kctx.body = p.groupBy.length
        ? groupsCsv(await deps.ledger.query(p.filter, p.groupBy, deps.timeZone), p.groupBy)
        : recordsCsv(await deps.ledger.records(p.filter, RECORDS_LIMIT));
      return;
    }
    const result = await deps.ledger.query(p.filter, p.groupBy, deps.timeZone);
    kctx.body = {
      object: 'usage',
      filter: { ...p.filter, from: iso(p.filter.from), to: iso(p.filter.to) },
      groupBy: p.groupBy,
      timeZone: deps.timeZone,
      ...result,
    };
  }
}

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
