/**
 * `mock`: an offline provider that simulates a model in-process. Deterministic replies, realistic
 * usage, streaming with configurable latency, tool calls, embeddings, and a configurable failure
 * rate. Used by the quickstart, the tests and the benchmarks; never leaves the machine.
 */
import { definePlugin } from '../../../core/plugin.js';
import { PROVIDER_OPTIONS } from '../../../core/provider-options.js';
import { MockAdapter, type MockOptions } from './adapter.js';

export type { MockOptions } from './adapter.js';

export const mock = definePlugin<MockOptions>({
  name: (o) => o.name ?? 'mock',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: PROVIDER_OPTIONS.name,
      models: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      latencyMs: { type: 'integer', minimum: 0 },
      chunkDelayMs: { type: 'integer', minimum: 0 },
      failureRate: { type: 'number', minimum: 0, maximum: 1 },
      dimensions: { type: 'integer', minimum: 1, maximum: 8192 },
    },
  },
  apply(gateway, o) {
    gateway.providers.register(new MockAdapter(o.name ?? 'mock', o));
  },
});
