/**
 * JSON Schemas for the Anthropic Messages ingress (POST /v1/messages and /v1/messages/count_tokens),
 * after Anthropic's API reference (anthropic-version 2023-06-01). Known content block and tool types
 * are checked field by field; block types the gateway does not know (new server-tool blocks, betas)
 * only need a `type`, so they reach Anthropic upstreams untouched (other providers refuse them).
 * Unknown top-level fields are accepted for the same reason (Anthropic adds beta parameters often).
 */

const cacheControl = { type: ['object', 'null'] };

const base64Source = {
  type: 'object',
  required: ['type', 'media_type', 'data'],
  properties: {
    type: { const: 'base64' },
    media_type: { type: 'string', minLength: 1 },
    data: { type: 'string', minLength: 1 },
  },
};
const urlSource = {
  type: 'object',
  required: ['type', 'url'],
  properties: { type: { const: 'url' }, url: { type: 'string', minLength: 1 } },
};
const fileSource = {
  type: 'object',
  required: ['type', 'file_id'],
  properties: { type: { const: 'file' }, file_id: { type: 'string' } },
};
const textSource = {
  type: 'object',
  required: ['type', 'data'],
  properties: { type: { const: 'text' }, media_type: { type: 'string' }, data: { type: 'string' } },
};
const contentSource = {
  type: 'object',
  required: ['type', 'content'],
  properties: { type: { const: 'content' }, content: { type: ['string', 'array'] } },
};

/** `source` picked by its `type`, so errors name the right fields. */
function bySourceType(sources: Record<string, object>) {
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: Object.keys(sources) } },
    allOf: Object.entries(sources).map(([t, s]) => ({
      if: { properties: { type: { const: t } }, required: ['type'] },
      then: s,
    })),
  };
}

export const textBlockSchema = {
  type: 'object',
  required: ['type', 'text'],
  properties: {
    type: { const: 'text' },
    text: { type: 'string' },
    cache_control: cacheControl,
    citations: { type: ['array', 'null'] },
  },
};

const blockSchemas: Record<string, object> = {
  text: textBlockSchema,
  image: {
    type: 'object',
    required: ['type', 'source'],
    properties: {
      source: bySourceType({ base64: base64Source, url: urlSource, file: fileSource }),
      cache_control: cacheControl,
    },
  },
  document: {
    type: 'object',
    required: ['type', 'source'],
    properties: {
      source: bySourceType({
        base64: base64Source,
        url: urlSource,
        file: fileSource,
        text: textSource,
        content: contentSource,
      }),
      title: { type: ['string', 'null'] },
      context: { type: ['string', 'null'] },
      cache_control: cacheControl,
    },
  },
  tool_use: {
    type: 'object',
    required: ['type', 'id', 'name', 'input'],
    properties: {
      id: { type: 'string', minLength: 1 },
      name: { type: 'string', minLength: 1 },
      input: { type: 'object' },
      cache_control: cacheControl,
    },
  },
  tool_result: {
    type: 'object',
    required: ['type', 'tool_use_id'],
    properties: {
      tool_use_id: { type: 'string', minLength: 1 },
      content: {
        anyOf: [
          { type: 'string' },
          { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } },
        ],
      },
      is_error: { type: 'boolean' },
      cache_control: cacheControl,
    },
  },
  thinking: {
    type: 'object',
    required: ['type', 'thinking', 'signature'],
    properties: { thinking: { type: 'string' }, signature: { type: 'string' } },
  },
  redacted_thinking: { type: 'object', required: ['type', 'data'], properties: { data: { type: 'string' } } },
};

const blockSchema = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', minLength: 1 } },
  allOf: Object.entries(blockSchemas).map(([t, s]) => ({
    if: { properties: { type: { const: t } }, required: ['type'] },
    then: s,
  })),
};

const messageSchema = {
  type: 'object',
  required: ['role', 'content'],
  additionalProperties: false,
  properties: {
    role: { enum: ['user', 'assistant'] },
    content: { anyOf: [{ type: 'string' }, { type: 'array', items: blockSchema }] },
  },
};

const toolSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    type: { type: 'string' },
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: { type: 'string' },
  },
  // Custom (client) tools need an input schema; server tools (`type: "web_search_20250305"`, ...) do not.
  if: { anyOf: [{ not: { required: ['type'] } }, { properties: { type: { const: 'custom' } } }] },
  then: { required: ['input_schema'], properties: { input_schema: { type: 'object' } } },
};

const toolChoiceSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['auto', 'any', 'tool', 'none'] },
    name: { type: 'string', minLength: 1 },
    disable_parallel_tool_use: { type: 'boolean' },
  },
  if: { properties: { type: { const: 'tool' } } },
  then: { required: ['name'] },
};

const thinkingSchema = {
  type: 'object',
  required: ['type'],
  // enabled / disabled today; other types (newer API modes) are relayed to Anthropic and ignored elsewhere.
  properties: { type: { type: 'string', minLength: 1 }, budget_tokens: { type: 'integer', minimum: 1024 } },
  if: { properties: { type: { const: 'enabled' } } },
  then: { required: ['budget_tokens'] },
};

const common = {
  model: { type: 'string', minLength: 1 },
  messages: { type: 'array', items: messageSchema },
  system: { anyOf: [{ type: 'string' }, { type: 'array', items: textBlockSchema }] },
  tools: { type: 'array', items: toolSchema },
  tool_choice: toolChoiceSchema,
  thinking: thinkingSchema,
};

export const messagesRequestSchema = {
  type: 'object',
  required: ['model', 'messages', 'max_tokens'],
  properties: {
    ...common,
    max_tokens: { type: 'integer', minimum: 1 },
    metadata: { type: 'object', properties: { user_id: { type: ['string', 'null'], maxLength: 256 } } },
    stop_sequences: { type: 'array', items: { type: 'string' } },
    stream: { type: 'boolean' },
    temperature: { type: 'number', minimum: 0, maximum: 1 },
    top_p: { type: 'number', minimum: 0, maximum: 1 },
    top_k: { type: 'integer', minimum: 0 },
    service_tier: { type: 'string' },
  },
};

export const countTokensRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: common,
};
