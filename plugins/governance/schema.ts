/** JSON schema of the `governance` section (validated at boot; errors name the plugin and option). */
const posNum = { type: 'number', exclusiveMinimum: 0 };
const posInt = { type: 'integer', minimum: 1 };
const strList = { type: 'array', items: { type: 'string', minLength: 1 } };
const tagList = { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9._:/-]{1,64}$' } };

export const budgetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['limitUsd'],
  properties: {
    limitUsd: posNum,
    period: { enum: ['day', 'week', 'month', 'lifetime'] },
    alertAt: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, maximum: 100 } },
  },
};
const budgets = { type: 'array', items: budgetSchema };

export const limitSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { requestsPerMinute: posInt, tokensPerMinute: posInt, concurrent: posInt },
};

export const endUserSpecsSchema = {
  budgets,
  limits: limitSchema,
};

export const keyAttributesSchema = {
  name: { type: 'string', maxLength: 200 },
  project: { type: 'string', minLength: 1, maxLength: 200 },
  models: strList,
  budgets,
  limits: limitSchema,
  expiresAt: {
    type: 'string',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$',
  },
  tags: tagList,
  metadata: { type: 'object', additionalProperties: { type: 'string', maxLength: 1000 } },
  endUsers: { type: 'object', additionalProperties: false, properties: endUserSpecsSchema },
};

export const governanceSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    adminKey: { type: 'string', minLength: 16 },
    timeZone: { type: 'string', minLength: 1 },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
          key: { type: 'string', minLength: 16 },
          keyHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          ...keyAttributesSchema,
        },
      },
    },
    projects: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { budgets, limits: limitSchema, models: strList },
      },
    },
    budgets: {
      type: 'object',
      additionalProperties: false,
      properties: { global: budgets, models: { type: 'object', additionalProperties: budgets } },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: { perKey: limitSchema, models: { type: 'object', additionalProperties: limitSchema } },
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        webhooks: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: { url: { type: 'string', pattern: '^https?://' }, secret: { type: 'string', minLength: 1 } },
          },
        },
        attempts: posInt,
        backoffMs: { type: 'integer', minimum: 0 },
        spike: {
          anyOf: [
            { const: false },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                multiple: posNum,
                trailingHours: posInt,
                minUsd: { type: 'number', minimum: 0 },
                checkIntervalMs: posInt,
              },
            },
          ],
        },
      },
    },
    ledger: {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: { type: 'string', minLength: 1 },
        retentionDays: posNum,
        flushIntervalMs: posInt,
        maxBatch: posInt,
        thread: { type: 'boolean' },
      },
    },
    metrics: {
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            path: { type: 'string', pattern: '^/[A-Za-z0-9._~/-]*$' },
            token: { type: 'string', minLength: 16 },
            public: { type: 'boolean' },
            requireAdminKey: { type: 'boolean' },
          },
        },
      ],
    },
    endUsers: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...endUserSpecsSchema,
        header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
        body: { type: 'boolean' },
        hashSecret: { type: 'string', minLength: 16 },
        required: { type: 'boolean' },
        maxTracked: { type: 'integer', minimum: 1 },
      },
    },
    tagsHeader: { type: 'string', pattern: '^[a-z0-9-]+$' },
    promptMargin: { type: 'number', minimum: 1 },
  },
};
