/**
 * JSON schemas of the OpenAI endpoints beyond chat and embeddings (wire format of OpenAI's API reference):
 * legacy completions, moderations, image generations, speech, and the text fields of audio and image uploads.
 * Unknown fields pass through (the upstream judges them), as for chat.
 */
const stringOrStrings = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const model = { type: 'string', minLength: 1 };

export const completionsRequestSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model,
    prompt: {
      anyOf: [
        { type: 'string' },
        { type: 'array', minItems: 1, items: { type: 'string' } },
        { type: 'array', minItems: 1, items: { type: 'integer' } },
        { type: 'array', minItems: 1, items: { type: 'array', minItems: 1, items: { type: 'integer' } } },
      ],
    },
    suffix: { type: ['string', 'null'] },
    max_tokens: { type: ['integer', 'null'], minimum: 0 },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 128 },
    best_of: { type: ['integer', 'null'], minimum: 0, maximum: 20 },
    stream: { type: ['boolean', 'null'] },
    stream_options: { type: ['object', 'null'] },
    logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5 },
    echo: { type: ['boolean', 'null'] },
    stop: { anyOf: [{ type: 'null' }, stringOrStrings] },
    presence_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    frequency_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    logit_bias: { type: ['object', 'null'] },
    seed: { type: ['integer', 'null'] },
    user: { type: 'string' },
  },
};

export const moderationsRequestSchema = {
  type: 'object',
  required: ['input'],
  properties: {
    model,
    input: {
      anyOf: [
        { type: 'string' },
        { type: 'array', minItems: 1, items: { type: 'string' } },
        {
          type: 'array',
          minItems: 1,
          items: { type: 'object', required: ['type'], properties: { type: { enum: ['text', 'image_url'] } } },
        },
      ],
    },
  },
};

export const imageGenerationsRequestSchema = {
  type: 'object',
  required: ['prompt'],
  properties: {
    model,
    prompt: { type: 'string', minLength: 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 10 },
    size: { type: ['string', 'null'] },
    quality: { type: ['string', 'null'] },
    response_format: { enum: ['url', 'b64_json', null] },
    style: { type: ['string', 'null'] },
    user: { type: 'string' },
    stream: { enum: [false, null] },
  },
};

export const speechRequestSchema = {
  type: 'object',
  required: ['model', 'input', 'voice'],
  properties: {
    model,
    input: { type: 'string', minLength: 1, maxLength: 4096 },
    voice: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] },
    instructions: { type: 'string' },
    response_format: { enum: ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] },
    speed: { type: 'number', minimum: 0.25, maximum: 4 },
    stream_format: { enum: ['audio'] },
  },
};

/** The text fields of a transcription/translation form (all strings on the wire). */
export const audioFieldsSchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model,
    response_format: { enum: ['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'] },
    stream: { enum: ['false'] },
  },
};

/**
 * The text fields of an image edit or variation form (all strings on the wire; `prompt` is required for
 * edits once the form is complete). Streamed edits (`stream=true`) are not served.
 */
export const imageFormFieldsSchema = {
  type: 'object',
  properties: {
    model,
    prompt: { type: 'string', minLength: 1 },
    n: { type: 'string', pattern: '^(?:[1-9]|10)$' },
    size: { type: 'string', minLength: 1 },
    quality: { type: 'string', minLength: 1 },
    response_format: { enum: ['url', 'b64_json'] },
    stream: { enum: ['false'] },
  },
};
