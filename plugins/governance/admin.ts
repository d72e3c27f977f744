/**
 * The admin API (admin key required): virtual keys (create -> the key is shown once; list, get,
 * update, revoke), budgets, usage with filters, group_by and CSV; and GET /v1/usage, where a client
 * key reads its own usage. Every answer is metadata: never a key, never a hash, never content.
 */
import { timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import type { ModelsContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { Gateway } from '../../core/gateway-types.js';
import { readJson } from '../../core/http/body.js';
import { openaiErrorBody } from '../../core/http/openai-dialect.js';
import { asGatewayError, runAuth } from '../../core/pipeline.js';
import { compile, formatAjvError } from '../../core/validation.js';
import { presentedKey } from '../auth/static-keys.js';
import { publicKey, sha256, type KeyAttributes, type KeyRegistry } from './keys.js';
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

const createSchema = { type: 'object', additionalProperties: false, properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' }, ...keyAttributesSchema } };
const nullable = Object.fromEntries(Object.entries(keyAttributesSchema).map(([k, s]) => [k, { anyOf: [{ type: 'null' }, s] }]));
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
  const { router } = gateway;
  const adminHash = deps.adminKey ? sha256(deps.adminKey) : undefined;
  const limit = gateway.config.server.bodyLimit;

  const admin = (handler: (kctx: Koa.Context) => Promise<void>) => async (kctx: Koa.Context) => {
    try {
      if (!adminHash) throw new GatewayError(403, 'The admin API is disabled: set governance.adminKey or SWITCHYARD_ADMIN_KEY.', { code: 'admin_disabled' });
      const key = presentedKey(kctx.headers);
      if (!key) throw new GatewayError(401, 'The admin API needs the admin key: "Authorization: Bearer <admin key>".', { type: 'authentication_error', code: 'missing_api_key' });
      if (!timingSafeEqual(sha256(key), adminHash)) throw new GatewayError(401, 'Incorrect admin key provided.', { type: 'authentication_error', code: 'invalid_api_key' });
      await handler(kctx);
    } catch (e) {
      const err = asGatewayError(e, { id: 'admin', log: gateway.log });
      kctx.status = err.status;
      kctx.body = openaiErrorBody(err);
    }
  };

  const found = (id: string) => {
    const k = deps.keys.get(id);
    if (!k) throw new GatewayError(404, `No key with id "${id.slice(0, 64)}".`, { code: 'key_not_found' });
    return k;
  };
  const mutable = (id: string) => {
    const k = found(id);
    if (k.source === 'config') throw new GatewayError(409, `Key "${id}" is defined in the configuration; change it there.`, { code: 'config_key_immutable' });
    return k;
  };

  router.post('/admin/keys', admin(async (kctx) => {
    const { id, ...attrs } = body<KeyAttributes & { id?: string }>(validateCreate, await readJson(kctx.req, limit));
    if (id && deps.keys.get(id)) throw new GatewayError(409, `A key with id "${id}" exists.`, { code: 'key_exists' });
    const { key, record } = await deps.keys.create(attrs, id);
    gateway.log.info({ keyId: record.id, project: record.project }, 'virtual key created');
    kctx.status = 201;
    kctx.body = { ...publicKey(record), key };
  }));
  router.get('/admin/keys', admin(async (kctx) => {
    kctx.body = { object: 'list', data: deps.keys.list().map((k) => publicKey(k)) };
  }));
  router.get('/admin/keys/:id', admin(async (kctx) => {
    kctx.body = publicKey(found(kctx.params.id));
  }));
  router.patch('/admin/keys/:id', admin(async (kctx) => {
    mutable(kctx.params.id);
    const attrs = body<KeyAttributes>(validateUpdate, await readJson(kctx.req, limit));
    kctx.body = publicKey(await deps.keys.update(kctx.params.id, attrs));
  }));
  router.delete('/admin/keys/:id', admin(async (kctx) => {
    mutable(kctx.params.id);
    const k = await deps.keys.revoke(kctx.params.id);
    gateway.log.info({ keyId: k.id }, 'virtual key revoked');
    kctx.body = publicKey(k);
  }));
  router.get('/admin/budgets', admin(async (kctx) => {
    kctx.body = { object: 'list', data: await deps.budgets() };
  }));
  router.get('/admin/usage', admin(async (kctx) => {
    await usage(kctx, parseUsageQuery(kctx.query, kctx.get('accept')));
  }));

  // A client key reads its own usage.
  router.get('/v1/usage', async (kctx) => {
    try {
      const ctx = {
        id: 'usage', operation: 'models', dialect: 'openai', headers: kctx.headers, time: Date.now(), startedAt: performance.now(),
        signal: new AbortController().signal, log: gateway.log, requestedModel: '', request: {}, stream: false,
        targets: [], attempts: [], responseHeaders: {}, state: {},
      } as ModelsContext;
      if (!gateway.hooks.auth.isUsed()) throw new GatewayError(404, 'Usage per key needs client keys.', { code: 'unknown_url' });
      await runAuth(gateway, ctx);
      const params = parseUsageQuery(kctx.query, kctx.get('accept'));
      params.filter.key = ctx.principal!.id;
      if (params.groupBy.includes('key')) params.groupBy = params.groupBy.filter((g) => g !== 'key');
      await usage(kctx, params);
    } catch (e) {
      const err = asGatewayError(e, { id: 'usage', log: gateway.log });
      kctx.status = err.status;
      kctx.body = openaiErrorBody(err);
    }
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
