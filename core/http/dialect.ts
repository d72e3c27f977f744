/**
 * An ingress dialect: how one client API (OpenAI Chat Completions, Anthropic Messages, ...) parses its
 * requests into the canonical format and renders answers, stream events and errors in its own shape.
 */
import type { ChatContext } from '../context.js';
import type { GatewayError } from '../errors.js';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from '../types.js';

export interface StreamEncoder {
  /** SSE text for one canonical chunk ('' to send nothing). */
  chunk(chunk: ChatCompletionChunk): string;
  /** SSE text that ends a successful stream. */
  end(): string;
  /** SSE text that reports a failure after the stream started. */
  error(err: GatewayError): string;
}

export interface Dialect {
  readonly name: string;
  /** Validate a parsed JSON body and return the canonical request. Throws GatewayError (400). */
  parseChat(body: unknown): ChatCompletionRequest;
  renderChat(response: ChatCompletionResponse, ctx: ChatContext): unknown;
  streamEncoder(ctx: ChatContext): StreamEncoder;
  /** The error body in this dialect's shape (`requestId`: the gateway's id for the request, when known). */
  errorBody(err: GatewayError, requestId?: string): unknown;
}
