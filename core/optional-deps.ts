/**
 * Drivers only some deployments use (ioredis, pg, better-sqlite3, prom-client), loaded on first use
 * instead of when `switchyard` is imported: together they are ~60 MiB of resident memory that a
 * gateway without Redis, PostgreSQL, the SQLite ledger or /metrics should not carry. All four are
 * CommonJS packages, so a synchronous require keeps the constructors that need them synchronous.
 */
import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

export const loadRedis = (): typeof import('ioredis') => requireFromHere('ioredis');
export const loadPg = (): typeof import('pg') => requireFromHere('pg');
export const loadSqlite = (): typeof import('better-sqlite3') => requireFromHere('better-sqlite3');
export const loadPromClient = (): typeof import('prom-client') => requireFromHere('prom-client');
