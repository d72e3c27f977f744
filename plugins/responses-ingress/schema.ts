/**
 * JSON Schema (ajv) for POST /v1/responses bodies. Known fields are checked; unknown top-level fields
 * are allowed (they reach OpenAI upstreams natively and are reported as dropped when translated).
 */
const when = (type: string, then: object) => ({
  if: { properties: { type: { const: type } }, required: ['type'] },
  then,
});
const nullable = (t: string | string[]) => ({ type: [...(Array.isArray(t) ? t : [t]), 'null'] });

const contentPart = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['input_text', 'input_image', 'input_file', 'output_text', 'refusal', 'reasoning_text'] },
  },
  allOf: [
    when('input_text', { required: ['text'], properties: { text: { type: 'string' } } }),
    when('output_text', { required: ['text'], properties: { text: { type: 'string' } } }),
    when('refusal', { required: ['refusal'], properties: { refusal: { type: 'string' } } }),
    when('input_image', {
      properties: {
        image_url: nullable('string'),
        file_id: nullable('string'),
        detail: { enum: ['auto', 'low', 'high'] },
      },
    }),
    when('input_file', {
      properties: {
        file_data: { type: 'string' },
        file_id: nullable('string'),
        filename: { type: 'string' },
        file_url: { type: 'string' },
      },
    }),
  ],
};

const inputItem = {
  type: 'object',
  properties: { type: { enum: ['message', 'function_call', 'function_call_output', 'reasoning'] } },
  allOf: [
    {
      // Items without a type are messages (EasyInputMessage).
      if: { not: { required: ['type'] } },
      then: { required: ['role', 'content'] },
    },
    when('message', { required: ['role', 'content'] }),
    {
      if: { anyOf: [{ not: { required: ['type'] } }, { properties: { type: { const: 'message' } } }] },
      then: {
        properties: {
          role: { enum: ['user', 'assistant', 'system', 'developer'] },
          content: { anyOf: [{ type: 'string' }, { type: 'array', items: contentPart }] },
        },
      },
    },
    when('function_call', {
      required: ['call_id', 'name', 'arguments'],
      properties: {
        call_id: { type: 'string', minLength: 1 },
        name: { type: 'string', minLength: 1 },
        arguments: { type: 'string' },
      },
    }),
    when('function_call_output', {
      required: ['call_id', 'output'],
      properties: {
        call_id: { type: 'string', minLength: 1 },
        output: { anyOf: [{ type: 'string' }, { type: 'array', items: contentPart }] },
      },
    }),
    when('reasoning', {
      properties: { summary: { type: 'array' }, content: { type: 'array' }, encrypted_content: nullable('string') },
    }),
  ],
};

const tool = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  allOf: [
    when('function', {
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
        description: nullable('string'),
        parameters: nullable('object'),
        strict: nullable('boolean'),
      },
    }),
  ],
};

const format = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['text', 'json_object', 'json_schema'] } },
  allOf: [
    when('json_schema', {
      required: ['name', 'schema'],
      properties: {
        name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
        schema: { type: 'object' },
        strict: nullable('boolean'),
        description: { type: 'string' },
      },
    }),
  ],
};

export const responsesRequestSchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { anyOf: [{ type: 'string' }, { type: 'array', items: inputItem }] },
    instructions: nullable('string'),
    tools: { type: 'array', items: tool },
    tool_choice: {
      anyOf: [
        { enum: ['none', 'auto', 'required'] },
        {
          type: 'object',
          required: ['type'],
          properties: { type: { type: 'string' } },
          allOf: [when('function', { required: ['name'], properties: { name: { type: 'string' } } })],
        },
      ],
    },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    max_output_tokens: { type: ['integer', 'null'], minimum: 1 },
    text: { type: 'object', properties: { format } },
    parallel_tool_calls: nullable('boolean'),
    stream: nullable('boolean'),
    store: nullable('boolean'),
    previous_response_id: nullable('string'),
    metadata: { type: ['object', 'null'], additionalProperties: { type: 'string', maxLength: 512 } },
    reasoning: {
      type: ['object', 'null'],
      properties: { effort: { enum: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', null] } },
    },
    user: { type: 'string' },
  },
};
