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
import { filesAndBatchesRoutes } from './files-batches.js';
import type { IngressRoute } from '../ingress.js';

/**
 * Mounts the OpenAI ingress through the same extension point as the plugins' ones (`gateway.ingress`), so
 * its routes are listed in `gateway.routes` (auth 'key', ingress 'openai'). Called once every plugin is
 * applied: plugin routes on the same paths are matched first.
 */
export function mountIngresses(gateway: Gateway): void {
  const rerank = rerankHandler(gateway);
  const routes: IngressRoute[] = [
    { method: 'get', path: '/v1/models', handler: modelsHandler(gateway) },
    // ids contain slashes: "openai/gpt-4.1-mini"
    { method: 'get', path: '/v1/models/*id', handler: modelHandler(gateway) },
    { method: 'post', path: '/v1/chat/completions', handler: chatHandler(gateway, openaiDialect) },
    { method: 'post', path: '/v1/embeddings', handler: embeddingsHandler(gateway) },
    { method: 'post', path: '/v1/completions', handler: completionsHandler(gateway) },
    { method: 'post', path: '/v1/moderations', handler: moderationsHandler(gateway) },
    { method: 'post', path: '/v1/images/generations', handler: imageGenerationsHandler(gateway) },
    { method: 'post', path: '/v1/images/edits', handler: imageUploadHandler(gateway, 'edits') },
    { method: 'post', path: '/v1/images/variations', handler: imageUploadHandler(gateway, 'variations') },
    { method: 'post', path: '/v1/audio/speech', handler: speechHandler(gateway) },
    { method: 'post', path: '/v1/audio/transcriptions', handler: audioHandler(gateway, 'transcriptions') },
    { method: 'post', path: '/v1/audio/translations', handler: audioHandler(gateway, 'translations') },
    { method: 'post', path: '/v1/rerank', handler: rerank },
    { method: 'post', path: '/v2/rerank', handler: rerank }, // the path Cohere's SDKs call
  ];
  if (gateway.config.passthrough) {
    routes.push({ method: 'all', path: PASSTHROUGH_ROUTE, handler: passthroughHandler(gateway) });
  }
  if (gateway.config.batches) routes.push(...filesAndBatchesRoutes(gateway)); // /v1/files, /v1/batches
  gateway.ingress({ name: 'openai', routes });
}
