/**
 * Drivers only some deployments use (ioredis, pg, better-sqlite3, prom-client), loaded on first use
 * instead of when `switchyard-gateway` is imported: together they are ~60 MiB of resident memory that
 * a gateway without Redis, PostgreSQL, the SQLite ledger or /metrics should not carry. All four are
 * CommonJS packages, so a synchronous require keeps the constructors that need them synchronous.
 *
 * better-sqlite3 is an optional dependency with a native module that may be missing (its install
 * script blocked or its build failed): only a gateway that opens the SQLite ledger needs it, and then
 * it gets a ConfigError that says how to build it.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { ConfigError } from './config-error.js';

const requireFromHere = createRequire(import.meta.url);
type Require = (id: string) => unknown;

export const loadRedis = (): typeof import('ioredis') => requireFromHere('ioredis');
export const loadPg = (): typeof import('pg') => requireFromHere('pg');
export const loadPromClient = (): typeof import('prom-client') => requireFromHere('prom-client');

/** Open a SQLite database with better-sqlite3 (`require` is replaceable for tests). */
export function openSqlite(path: string, require: Require = requireFromHere): Database.Database {
  let Sqlite: typeof Database;
  try {
    Sqlite = require('better-sqlite3') as typeof Database;
  } catch (e) {
    throw sqliteUnavailable(e as Error);
  }
  try {
    return new Sqlite(path);
  } catch (e) {
    // The JavaScript loads without the native part; the first database then fails to find it.
    const { code, message } = e as NodeJS.ErrnoException;
    if (/bindings file|NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|ELF header|shared object/i.test(`${code} ${message}`)) {
      throw sqliteUnavailable(e as Error);
    }
    throw e;
  }
}

function sqliteUnavailable(cause: Error): ConfigError {
  const reason = cause.message
    .split('\n')[0]!
    .replace(/\s+Tried:.*$/, '')
    .slice(0, 160);
  return new ConfigError(
    'governance.ledger',
    'uses the SQLite ledger, which needs the optional native module better-sqlite3, ' +
      `and it cannot be loaded here (${reason})`,
    'Build it with `npm rebuild better-sqlite3` (when no prebuilt binary can be downloaded it compiles from source, ' +
      'which needs python3, make and g++), or use postgresLedger() (docs/deploy.md), which needs no native code.',
  );
}
