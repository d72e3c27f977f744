/** JSON schema of the cache plugin's options (validated at boot; errors name the plugin and option). */
const posInt = { type: 'integer', minimum: 1 };
const unit = { type: 'number', minimum: 0, maximum: 1 };

export const cacheOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ttlSeconds: posInt,
    maxTtlSeconds: posInt,
    maxTemperature: { type: 'number', minimum: 0 },
    scope: { enum: ['project', 'key', 'global'] },
    statsPath: { anyOf: [{ const: false }, { type: 'string', pattern: '^/[A-Za-z0-9._~/-]*$' }] },
    semantic: {
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            embedder: {
              anyOf: [
                { enum: ['wordnet', 'ngram'] },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['provider', 'model'],
                  properties: {
                    provider: { type: 'string', minLength: 1 },
                    model: { type: 'string', minLength: 1 },
                    dimensions: posInt,
                  },
                },
                // your own Embedder object: { id, embed(texts) }
                { type: 'object', required: ['id', 'embed'], properties: { id: { type: 'string', minLength: 1 } } },
              ],
            },
            dimensions: { type: 'integer', minimum: 8, maximum: 4096 },
            threshold: unit,
            topK: { type: 'integer', minimum: 1, maximum: 32 },
            maxEntries: posInt,
            hnswThreshold: posInt,
            efSearch: posInt,
            maxPromptChars: posInt,
            guard: {
              type: 'object',
              additionalProperties: false,
              properties: {
                numbers: { type: 'boolean' },
                identifiers: { type: 'boolean' },
                negation: { type: 'boolean' },
                entities: { type: 'boolean' },
                lexical: { type: 'boolean' },
                relations: { type: 'boolean' },
                synonyms: { type: 'boolean' },
              },
            },
            verifier: {
              type: 'object',
              additionalProperties: false,
              required: ['model'],
              properties: {
                model: { type: 'string', minLength: 1 },
                minScore: unit,
                lexical: { type: 'boolean' },
                timeoutMs: { type: 'integer', minimum: 1, maximum: 60_000 },
                verdictTtlSeconds: posInt,
              },
            },
            persist: { type: 'boolean' },
            syncMs: { type: 'integer', minimum: 10, maximum: 60_000 },
          },
        },
      ],
    },
  },
};
