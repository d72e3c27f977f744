/**
 * Schemas and cross-field checks of the `routing`, `failover` and `catalog` config sections. Each
 * mistake becomes one ConfigError naming the path (e.g. routing.models.smart.targets[1].weight).
 */
import type { SwitchyardConfig, TargetRef } from './config-types.js';

const targetString = { type: 'string', pattern: '^[^/]+/.+$' };
const targetRef = {
  anyOf: [
    targetString,
    {
      type: 'object',
      additionalProperties: false,
      required: ['target'],
      properties: {
        target: targetString,
        weight: { type: 'number', minimum: 0 },
        params: { type: 'object' },
        tags: { type: 'array', items: { type: 'string', minLength: 1 } },
        timeoutMs: { type: 'integer', minimum: 1 },
      },
    },
  ],
};
const targetList = { type: 'array', minItems: 1, items: targetRef };
const tags = { type: 'array', items: { type: 'string', minLength: 1 } };
const ms = { type: 'integer', minimum: 1 };
const tagPolicy = {
  type: 'object',
  additionalProperties: false,
  required: ['requireTags'],
  properties: { requireTags: tags },
};

const virtualModel = {
  type: 'object',
  additionalProperties: false,
  properties: {
    strategy: { enum: ['fallback', 'weighted', 'cheapest', 'fastest', 'auto', 'rules'] },
    targets: targetList,
    sticky: { enum: ['user', 'key'] },
    explore: { type: 'number', minimum: 0, maximum: 1 },
    tiers: {
      type: 'object',
      additionalProperties: false,
      required: ['strong', 'cheap'],
      properties: { strong: targetList, cheap: targetList },
    },
    classifier: {},
    rules: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['when'],
        properties: {
          when: {
            type: 'object',
            additionalProperties: false,
            properties: {
              headers: {
                type: 'object',
                additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
              },
              keys: { type: 'array', items: { type: 'string' } },
              projects: { type: 'array', items: { type: 'string' } },
              params: { type: 'object' },
            },
          },
          use: { type: 'string', minLength: 1 },
          targets: targetList,
        },
      },
    },
    expectedOutputTokens: { type: 'integer', minimum: 0 },
    requireTags: tags,
    hedgeDelayMs: { type: 'integer', minimum: 0 },
    attemptTimeoutMs: ms,
    firstChunkTimeoutMs: ms,
    deadlineMs: ms,
    shadow: {
      type: 'object',
      additionalProperties: false,
      required: ['target', 'percent'],
      properties: { target: targetRef, percent: { type: 'number', minimum: 0, maximum: 100 } },
    },
  },
};

export const routingSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    aliases: {
      type: 'object',
      additionalProperties: { anyOf: [targetString, { type: 'array', minItems: 1, items: targetString }] },
    },
    defaultProvider: { type: 'string', minLength: 1 },
    models: { type: 'object', additionalProperties: virtualModel },
    tags: { type: 'object', additionalProperties: tags },
    policies: {
      type: 'object',
      additionalProperties: false,
      properties: {
        keys: { type: 'object', additionalProperties: tagPolicy },
        projects: { type: 'object', additionalProperties: tagPolicy },
      },
    },
    allowModelsList: { type: 'boolean' },
    allowTargetHeader: { type: 'boolean' },
  },
};

export const failoverSchema = {
  anyOf: [
    { const: false },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        retries: { type: 'integer', minimum: 0 },
        backoffMs: { type: 'integer', minimum: 0 },
        maxBackoffMs: { type: 'integer', minimum: 0 },
        attemptTimeoutMs: ms,
        firstChunkTimeoutMs: ms,
        deadlineMs: ms,
        hedgeDelayMs: { type: 'integer', minimum: 0 },
        breaker: {
          anyOf: [
            { const: false },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                failureThreshold: { type: 'integer', minimum: 1 },
                failureRate: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
                minRequests: { type: 'integer', minimum: 1 },
                windowMs: ms,
                cooldownMs: ms,
                tripOnUnreachable: { type: 'boolean' },
              },
            },
          ],
        },
        onContextTooLong: { anyOf: [{ const: false }, { const: 'larger' }, targetString] },
        onContentPolicy: { anyOf: [{ const: false }, targetString] },
      },
    },
  ],
};

const prices = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    ['input', 'cachedInput', 'cacheWrite', 'output', 'reasoning'].map((k) => [k, { type: 'number', minimum: 0 }]),
  ),
};

export const catalogSchema = {
  anyOf: [
    { const: false },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        models: {
          type: 'object',
          propertyNames: { pattern: '^[^/]+/.+$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              kind: { enum: ['chat', 'embeddings', 'images', 'speech', 'transcription', 'moderation', 'rerank'] },
              aliases: { type: 'array', items: { type: 'string' } },
              prices,
              media: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  perImage: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
                  defaultImage: { type: 'string' },
                  perMillionCharacters: { type: 'number', minimum: 0 },
                  perMinute: { type: 'number', minimum: 0 },
                  perThousandSearches: { type: 'number', minimum: 0 },
                  perMillionImageInputTokens: { type: 'number', minimum: 0 },
                },
              },
              contextWindow: { type: 'integer', minimum: 1 },
              maxOutputTokens: { type: 'integer', minimum: 1 },
              capabilities: {
                type: 'object',
                additionalProperties: false,
                properties: Object.fromEntries(
                  ['tools', 'parallelTools', 'vision', 'json', 'reasoning', 'embeddings'].map((k) => [
                    k,
                    { type: 'boolean' },
                  ]),
                ),
              },
            },
          },
        },
        providers: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              discountPct: { type: 'number', minimum: 0, maximum: 100 },
              creditFeePct: { type: 'number', minimum: 0 },
              prices: { type: 'object', additionalProperties: prices },
              sameAs: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
  ],
};

export interface Problem {
  path: string;
  detail: string;
  fix?: string;
}

/** Checks a schema cannot express. Returns the first problem found. */
export function checkRouting(config: SwitchyardConfig): Problem | undefined {
  const models = config.routing?.models ?? {};
  const aliases = config.routing?.aliases ?? {};
  for (const [name, vm] of Object.entries(models)) {
    const at = `routing.models.${name}`;
    if (name in aliases)
      return { path: at, detail: 'is also defined in routing.aliases', fix: 'Keep one definition per name.' };
    const strategy = vm.strategy ?? 'fallback';
    if (strategy === 'auto') {
      if (!vm.tiers)
        return {
          path: `${at}.tiers`,
          detail: 'is required by strategy "auto"',
          fix: 'Give { strong: [...], cheap: [...] }.',
        };
      if (
        vm.classifier !== undefined &&
        typeof vm.classifier !== 'function' &&
        (typeof vm.classifier !== 'object' || vm.classifier === null)
      ) {
        return { path: `${at}.classifier`, detail: 'must be a function or { longPromptTokens }' };
      }
    } else if (strategy === 'rules') {
      if (!vm.rules) return { path: `${at}.rules`, detail: 'is required by strategy "rules"' };
      const bad = vm.rules.findIndex((r) => !r.use && !r.targets);
      if (bad >= 0) return { path: `${at}.rules[${bad}]`, detail: 'needs `use` or `targets`' };
      const self = vm.rules.findIndex((r) => r.use === name);
      if (self >= 0) return { path: `${at}.rules[${self}].use`, detail: 'refers to the model itself' };
    } else if (!vm.targets) {
      return {
        path: `${at}.targets`,
        detail: `is required by strategy "${strategy}"`,
        fix: 'List targets as "provider/model".',
      };
    }
    if (strategy === 'weighted') {
      const weights = vm.targets!.map((t: TargetRef) => (typeof t === 'string' ? undefined : t.weight));
      const missing = weights.findIndex((w) => w === undefined);
      if (missing >= 0)
        return {
          path: `${at}.targets[${missing}].weight`,
          detail: 'is required by strategy "weighted"',
          fix: 'Write { target: "provider/model", weight: 10 }.',
        };
      if (weights.reduce((a, w) => a! + w!, 0)! <= 0)
        return { path: `${at}.targets`, detail: 'weights must not all be 0' };
    }
  }
  return undefined;
}
