/**
 * The Anthropic Messages ingress, for clients built on the Anthropic SDK, mounted through the core's
 * ingress extension point (`gateway.ingress`, core/ingress.ts) like any plugin's own dialect:
 * - POST /v1/messages (plain and streamed): the core's chat handler with this dialect, run against a
 *   passthrough-aware view of the providers (passthrough.ts): targets with Anthropic's native API receive
 *   the client's body as is and their answers are relayed; others go through the canonical translation
 *   (parse.ts in, render.ts out);
 * - POST /v1/messages/count_tokens (count-tokens.ts): auth -> route -> admit, the first target's count
 *   or an estimate, one meter record;
 * - /v1/messages/batches... (batches.ts) when the `batches` section is set.
 * Clients authenticate with `x-api-key` or `Authorization: Bearer` (whatever the auth plugins accept;
 * static-keys takes both). On by default (plugins/builtin.ts); `ingresses: { anthropic: false }` turns it off.
 */
import { chatHandler } from '../../core/http/handlers.js';
import { definePlugin } from '../../core/plugin.js';
import { batchRoutes } from './batches.js';
import { countTokensHandler } from './count-tokens.js';
import { anthropicDialect } from './dialect.js';
import { passthroughGateway } from './passthrough.js';

export { anthropicDialect } from './dialect.js';
export { estimateTokens } from './count-tokens.js';

declare module '../../core/config-types.js' {
  interface IngressesConfig {
    /** The Anthropic Messages API (/v1/messages, /count_tokens, /v1/messages/batches). Default on. */
    anthropic?: boolean;
  }
}

export const anthropicIngress = definePlugin({
  name: 'anthropic-ingress',
  apply(gateway) {
    gateway.ingress({
      name: 'anthropic',
      routes: [
        { method: 'post', path: '/v1/messages', handler: chatHandler(passthroughGateway(gateway), anthropicDialect) },
        { method: 'post', path: '/v1/messages/count_tokens', handler: countTokensHandler(gateway) },
        ...(gateway.config.batches ? batchRoutes(gateway) : []),
      ],
    });
  },
});
