/**
 * The CommonJS packages the gateway loads at start-up (pino, ajv, tapable, koa, @koa/router) and esbuild
 * (for `.ts` configs), through require rather than import. Node reads the source of every CommonJS module
 * an ES module imports with its export lexer (to offer named exports), following re-exports. The lexer
 * is WebAssembly; in a gateway it ran hot enough for V8 to compile it with TurboFan on a worker thread
 * at start-up, whose freed memory that thread's malloc arena often kept: ~10 MiB more idle RSS in about
 * half the starts (bench/profile-notes.md, eighth round). require() loads the same files without it.
 * Types come from `import type` as usual.
 */
import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

export const { pino } = requireFromHere('pino') as typeof import('pino');
export const { Ajv } = requireFromHere('ajv') as typeof import('ajv');
export const tapable = requireFromHere('tapable') as typeof import('tapable');
export const Koa = requireFromHere('koa') as typeof import('koa');
type KoaRouterModule = typeof import('@koa/router');
export const Router: KoaRouterModule['Router'] = (requireFromHere('@koa/router') as KoaRouterModule).Router;

/** esbuild, when a `.ts` config is compiled (core/config-loader.ts). */
export const loadEsbuild = (): typeof import('esbuild') => requireFromHere('esbuild');
