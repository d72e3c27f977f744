/**
 * The Anthropic Messages ingress: POST /v1/messages (plain and streamed) and
 * POST /v1/messages/count_tokens, for clients built on the Anthropic SDK.
 *
 * /v1/messages is the generic chat handler with this dialect, run against a passthrough-aware view
 * of the gateway (anthropic-passthrough.ts): Anthropic targets receive the client's body as-is and
 * their answers are relayed; other targets go through the canonical translation
 * (anthropic-parse.ts in, anthropic-render.ts out). Clients authenticate with `x-api-key` or
 * `Authorization: Bearer` (whatever the auth plugins accept; static-keys takes both).
 */
import type { Gateway } from '../gateway-types.js';
import { countTokensHandler } from './anthropic-count-tokens.js';
import { parseMessages } from './anthropic-parse.js';
import { passthroughGateway } from './anthropic-passthrough.js';
import { anthropicErrorBody, anthropicStreamEncoder, renderMessage } from './anthropic-render.js';
import type { Dialect } from './dialect.js';
import { chatHandler } from './handlers.js';

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  parseChat: parseMessages,
  renderChat: renderMessage,
  streamEncoder: anthropicStreamEncoder,
  errorBody: anthropicErrorBody,
};

export function mountAnthropicIngress(gateway: Gateway): void {
  gateway.router.post('/v1/messages', chatHandler(passthroughGateway(gateway), anthropicDialect));
  gateway.router.post('/v1/messages/count_tokens', countTokensHandler(gateway));
}
