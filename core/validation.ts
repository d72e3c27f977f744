/**
 * The one ajv instance and the one error formatter, shared by ingress validation, config validation
 * and plugin options, so that every message names the path and what was expected.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from './cjs-packages.js';

export const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: false, allowUnionTypes: true });

/**
 * A validator compiled on its first call: ajv generates and compiles code per schema, and most
 * deployments never use most ingresses (Anthropic, Responses, embeddings, the admin API), so their
 * validators should cost no start-up time or memory. `errors` mirrors the compiled function's.
 */
export function compile<T = unknown>(schema: object): ValidateFunction<T> {
  let compiled: ValidateFunction<T> | undefined;
  const validate = ((data: unknown) => {
    compiled ??= ajv.compile<T>(schema);
    const ok = compiled(data);
    validate.errors = compiled.errors;
    return ok;
  }) as ValidateFunction<T>;
  validate.errors = null;
  return validate;
}

/** `/server/port` -> `server.port`; `/messages/0/role` -> `messages[0].role`. */
export function jsonPointerToPath(pointer: string, root = ''): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

export interface FormattedError {
  path: string;
  message: string;
}

/** Turn the first ajv error into `path` + a sentence saying what was expected. */
export function formatAjvError(err: ErrorObject, root = '', data?: unknown): FormattedError {
  let path = jsonPointerToPath(err.instancePath, root);
  const p = err.params as Record<string, unknown>;
  let message: string;
  switch (err.keyword) {
    case 'required':
      path = path ? `${path}.${p.missingProperty}` : String(p.missingProperty);
      message = 'is required';
      break;
    case 'additionalProperties':
      path = path ? `${path}.${p.additionalProperty}` : String(p.additionalProperty);
      message = 'is not a known option';
      break;
    case 'enum':
      message = `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'type':
      message = `must be ${p.type}`;
      break;
    default:
      message = err.message ?? 'is invalid';
  }
  const got = data === undefined ? undefined : valueAt(data, err.instancePath);
  if (got !== undefined && err.keyword !== 'required' && err.keyword !== 'additionalProperties') {
    message += ` (got ${describe(got)})`;
  }
  return { path: path || '(root)', message };
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** anyOf errors are noisy: pick the deepest specific error, which names the real mistake. */
export function bestError(errs: ErrorObject[]): ErrorObject {
  const sorted = [...errs].sort((a, b) => b.instancePath.length - a.instancePath.length);
  return sorted.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'const' && e.keyword !== 'if') ?? sorted[0];
}
