/**
 * The client-facing APIs (ingress dialects) the gateway serves. Each entry mounts its routes on the
 * gateway's router; the OpenAI Chat Completions dialect is the canonical one.
 */
import type { Gateway } from '../gateway-types.js';
import { mountAnthropicIngress } from './anthropic-dialect.js';
import { chatHandler, embeddingsHandler, modelsHandler } from './handlers.js';
import { openaiDialect } from './openai-dialect.js';
import { responsesHandler } from './responses-handler.js';

export function mountIngresses(gateway: Gateway): void {
  const { router } = gateway;
  router.get('/v1/models', modelsHandler(gateway));
  router.post('/v1/chat/completions', chatHandler(gateway, openaiDialect));
  router.post('/v1/embeddings', embeddingsHandler(gateway));
  mountAnthropicIngress(gateway); // POST /v1/messages, /v1/messages/count_tokens
  router.post('/v1/responses', responsesHandler(gateway));
  // Further dialects (Anthropic Messages, OpenAI Responses) mount here.
}
