/**
 * Canonical wire types. OpenAI Chat Completions is Switchyard's canonical request, response and stream
 * chunk format: every ingress translates into it, every provider adapter translates out of it.
 * Unknown fields are kept (index signatures) so that OpenAI-compatible upstreams receive them intact.
 */

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}
export interface AudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: string };
}
export type ContentPart = TextPart | ImagePart | AudioPart | { type: string; [k: string]: unknown };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: Role;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  refusal?: string | null;
  [k: string]: unknown;
}

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [k: string]: unknown } | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  seed?: number | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: Record<string, unknown> };
  user?: string;
  [k: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [k: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: ChatMessage & { role: 'assistant' };
    finish_reason: FinishReason;
    logprobs?: unknown;
    [k: string]: unknown;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
  [k: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: ToolCallDelta[];
      refusal?: string | null;
      [k: string]: unknown;
    };
    finish_reason: FinishReason;
    logprobs?: unknown;
    [k: string]: unknown;
  }>;
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [k: string]: unknown;
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [k: string]: unknown;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  [k: string]: unknown;
}

export interface ModelInfo {
  /** The provider's own model id, as sent upstream. */
  id: string;
  /** What the model can be used for. */
  kind?: 'chat' | 'embeddings' | 'rerank';
  created?: number;
}

/**
 * POST /v1/rerank in Cohere's v2 rerank format, the canonical rerank request: a query and plain-text documents.
 * `return_documents` is the gateway's (Cohere v2 has none): the answer's results then carry their document.
 */
export interface RerankRequest {
  model: string;
  query: string;
  documents: string[];
  top_n?: number;
  max_tokens_per_doc?: number;
  return_documents?: boolean;
  [field: string]: unknown;
}

/** One ranked document: its index in the request's documents and its score (0..1, higher is more relevant). */
export interface RerankResult {
  index: number;
  relevance_score: number;
  document?: { text: string };
}

/**
 * The canonical rerank answer (Cohere v2): results best first; `meta.billed_units` says what was billed,
 * `search_units` (Cohere; Bedrock's queries) or `input_tokens` (token-priced rerankers: Jina, Voyage).
 */
export interface RerankResponse {
  id: string;
  results: RerankResult[];
  meta: {
    api_version?: { version: string };
    billed_units?: { search_units?: number; input_tokens?: number };
    [field: string]: unknown;
  };
}
