/**
 * Option schemas of the scale-out factories, checked when the object is built (`redis()`,
 * `new RedisStore()`, `postgresLedger()`), so a mistake is the one boot-time error format:
 * `Plugin "redis": option "commandTimeoutMs" must be >= 1 (got 0)`.
 */
import { checkOptions } from '../../core/plugin.js';

const posInt = { type: 'integer', minimum: 1 };
const nonNegInt = { type: 'integer', minimum: 0 };
const policy = { enum: ['open', 'closed'] };

export const redisOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^rediss?://' },
    prefix: { type: 'string' },
    commandTimeoutMs: posInt,
    admissionTimeoutMs: posInt,
    connectTimeoutMs: posInt,
    backoffMs: nonNegInt,
    maxBackoffMs: nonNegInt,
    onOutage: {
      type: 'object',
      additionalProperties: false,
      properties: { rateLimits: policy, budgets: policy, cache: policy, keys: policy },
    },
    notReadyWhenDown: { type: 'boolean' },
    ioredis: { type: 'object' },
  },
};

export const postgresLedgerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^postgres(ql)?://' },
    schema: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' },
    poolSize: posInt,
    maxBuffered: posInt,
    insertBatch: posInt,
    connectTimeoutMs: posInt,
    statementTimeoutMs: posInt,
    retryMs: posInt,
    maxRetryMs: posInt,
    pruneBatch: posInt,
    notReadyWhenDown: { type: 'boolean' },
    log: { type: 'object' },
  },
};

export const checkRedisOptions = (o: unknown) => checkOptions('redis', redisOptionsSchema, o);
export const checkPostgresLedgerOptions = (o: unknown) =>
  checkOptions('postgres-ledger', postgresLedgerOptionsSchema, o);
