/**
 * The client-facing APIs the core serves itself: the OpenAI ones (Chat Completions, the canonical dialect,
 * and its neighbours). Other dialects (Anthropic Messages, OpenAI Responses, yours) are plugins that mount
 * through the ingress extension point, `gateway.ingress({...})` (core/ingress.ts).
 */
import type { Gateway } from '../gateway-types.js';
import { audioHandler } from './audio-upload.js';
import { completionsHandler } from './completions-handler.js';
import { chatHandler, embeddingsHandler } from './handlers.js';
import { imageGenerationsHandler, moderationsHandler, speechHandler } from './media-handlers.js';
import { imageUploadHandler } from './image-upload.js';
import { modelHandler, modelsHandler } from './models.js';
import { rerankHandler } from './rerank-handler.js';
import { openaiDialect } from './openai-dialect.js';
import { PASSTHROUGH_ROUTE, passthroughHandler } from './passthrough.js';
import { mountFilesAndBatches } from './files-batches.js';

export function mountIngresses(gateway: Gateway): void {
  const { router } = gateway;
  router.get('/v1/models', modelsHandler(gateway));
  router.get('/v1/models/*id', modelHandler(gateway)); // ids contain slashes: "openai/gpt-4.1-mini"
  router.post('/v1/chat/completions', chatHandler(gateway, openaiDialect));
  router.post('/v1/embeddings', embeddingsHandler(gateway));
  router.post('/v1/completions', completionsHandler(gateway));
  router.post('/v1/moderations', moderationsHandler(gateway));
  router.post('/v1/images/generations', imageGenerationsHandler(gateway));
  router.post('/v1/images/edits', imageUploadHandler(gateway, 'edits'));
  router.post('/v1/images/variations', imageUploadHandler(gateway, 'variations'));
  router.post('/v1/audio/speech', speechHandler(gateway));
  router.post('/v1/audio/transcriptions', audioHandler(gateway, 'transcriptions'));
  router.post('/v1/audio/translations', audioHandler(gateway, 'translations'));
  const rerank = rerankHandler(gateway);
  router.post('/v1/rerank', rerank);
  router.post('/v2/rerank', rerank); // the path Cohere's SDKs call
  if (gateway.config.passthrough) router.all(PASSTHROUGH_ROUTE, passthroughHandler(gateway));
  if (gateway.config.batches) mountFilesAndBatches(gateway); // /v1/files, /v1/batches
}
