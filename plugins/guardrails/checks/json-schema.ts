/**
 * JSON-schema validation of structured outputs: a configured schema, or the one the request itself
 * asked for (response_format json_schema; json_object only requires valid JSON). Request schemas
 * are compiled once per distinct schema (LRU of 200) on an ajv instance of their own, which never
 * keeps them beyond the LRU (no growth from client-supplied schemas).
 */
import type { ValidateFunction } from 'ajv';
import { Ajv } from '../../../core/cjs-packages.js';
import { LRUCache } from 'lru-cache';
import type { ChatCompletionRequest } from '../../../core/types.js';

const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true, validateSchema: true, logger: false });
const compiled = new LRUCache<string, ValidateFunction | Error>({ max: 200 });

function validatorFor(schema: Record<string, unknown>): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    try {
      v = ajv.compile(schema);
    } catch (e) {
      v = e as Error;
    } finally {
      ajv.removeSchema(schema); // ajv caches by schema object; ours is the LRU
    }
    compiled.set(key, v);
  }
  return v;
}

export interface DocumentCheck {
  readonly type: 'json-schema';
  /** Rule id of the violation; undefined when the answer passes or nothing applies. Throws on an unusable schema. */
  validate(content: string, request: ChatCompletionRequest): string | undefined;
}

export function jsonSchemaCheck(schema?: Record<string, unknown>): DocumentCheck {
  const fixed = schema ? validatorFor(schema) : undefined;
  if (fixed instanceof Error) throw new Error(`its schema does not compile (${fixed.message})`);
  return {
    type: 'json-schema',
    validate(content, request) {
      let v = fixed;
      if (!v) {
        const rf = request.response_format;
        if (rf?.type === 'json_schema') {
          const s = (rf.json_schema as { schema?: unknown } | undefined)?.schema;
          if (s && typeof s === 'object') {
            const got = validatorFor(s as Record<string, unknown>);
            if (got instanceof Error) {
              throw new Error(`the request's response_format schema does not compile (${got.message})`);
            }
            v = got;
          }
        } else if (rf?.type !== 'json_object') return undefined; // nothing structured was asked for
      }
      let data: unknown;
      try {
        data = JSON.parse(content);
      } catch {
        return 'json_schema.invalid_json';
      }
      return !v || v(data) ? undefined : 'json_schema.mismatch';
    },
  };
}
