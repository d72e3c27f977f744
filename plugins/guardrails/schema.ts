/** JSON schema of the guardrails options (validated at boot; errors name the option). */
import { PII_ENTITIES } from './checks/pii.js';
import { SECRET_TYPES } from './checks/secrets.js';

const ms = { type: 'integer', minimum: 1, maximum: 60_000 };
const strings = { type: 'array', items: { type: 'string', minLength: 1 } };

/** When `type` is `name`, the check object has exactly these properties (plus `type`). */
const variant = (name: string, properties: Record<string, unknown>, required: string[] = []) => ({
  if: { properties: { type: { const: name } } },
  then: { additionalProperties: false, required, properties: { type: {}, ...properties } },
});

const check = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['pii', 'secrets', 'injection', 'words', 'json-schema', 'moderation', 'webhook'] } },
  allOf: [
    variant('pii', { entities: { type: 'array', items: { enum: PII_ENTITIES } } }),
    variant('secrets', { kinds: { type: 'array', items: { enum: SECRET_TYPES } } }),
    variant('injection', { threshold: { type: 'number', exclusiveMinimum: 0 } }),
    variant('words', {
      name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,40}$' },
      words: strings,
      patterns: strings,
      caseSensitive: { type: 'boolean' },
    }),
    variant('json-schema', { schema: { type: 'object' } }),
    variant(
      'moderation',
      {
        provider: { type: 'string', minLength: 1 },
        model: { type: 'string', minLength: 1 },
        categories: strings,
        threshold: { type: 'number', minimum: 0, maximum: 1 },
        timeoutMs: ms,
      },
      ['provider'],
    ),
    variant(
      'webhook',
      {
        url: { type: 'string', pattern: '^https?://[^/\\s]+' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        timeoutMs: ms,
      },
      ['url'],
    ),
  ],
};

const policy = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'action', 'checks'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    action: { enum: ['block', 'redact', 'flag', 'log'] },
    on: { enum: ['input', 'output', 'both'] },
    checks: { type: 'array', minItems: 1, items: check },
    match: {
      type: 'object',
      additionalProperties: false,
      properties: { keys: strings, projects: strings, models: strings },
    },
    roles: { type: 'array', minItems: 1, items: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] } },
    failMode: { enum: ['open', 'closed'] },
    restore: { type: 'boolean' },
  },
};

export const guardrailsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policies'],
  properties: {
    policies: { type: 'array', minItems: 1, items: policy },
    stream: {
      type: 'object',
      additionalProperties: false,
      properties: {
        holdBackChars: { type: 'integer', minimum: 0, maximum: 65_536 },
        remoteWindowChars: { type: 'integer', minimum: 16, maximum: 1_048_576 },
      },
    },
    header: { type: 'boolean' },
  },
};
