/**
 * The OpenAI Responses ingress: POST /v1/responses (plain, and streamed with typed SSE events), mounted
 * through the core's ingress extension point (`gateway.ingress`, core/ingress.ts) like any plugin's own
 * dialect. Requests are translated to the canonical chat request and back (translate.ts, stream.ts);
 * providers that speak the Responses API natively receive the client's body as is (native.ts, through an
 * `AdapterView`); `previous_response_id` replays history kept in the configured store (handler.ts).
 * On by default (plugins/builtin.ts); `ingresses: { responses: false }` turns it off.
 */
import { definePlugin } from '../../core/plugin.js';
import { responsesHandler } from './handler.js';

export { RESPONSES_TTL_MS } from './handler.js';

declare module '../../core/config-types.js' {
  interface IngressesConfig {
    /** The OpenAI Responses API (/v1/responses). Default on. */
    responses?: boolean;
  }
}

export const responsesIngress = definePlugin({
  name: 'responses-ingress',
  apply(gateway) {
    gateway.ingress({
      name: 'responses',
      routes: [{ method: 'post', path: '/v1/responses', handler: responsesHandler(gateway) }],
    });
  },
});
