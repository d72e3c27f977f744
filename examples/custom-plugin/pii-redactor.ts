/**
 * A complete custom plugin: masks e-mail addresses and phone numbers in what clients send before it
 * reaches any provider, and reports how many it masked in a response header.
 *
 * It shows the three parts of a plugin: typed options with a JSON schema (validated at boot), a tap
 * on a hook with a stage, and per-request state kept on the context.
 *
 * In your own project, import from 'switchyard-gateway' instead of the relative path.
 */
import { definePlugin, type ChatMessage } from '../../index.js';

export interface PiiRedactorOptions {
  /** Text that replaces an e-mail address. Default "[email]". */
  emailMask?: string;
  /** Text that replaces a phone number. Default "[phone]". */
  phoneMask?: string;
  /** Roles whose messages are scrubbed. Default user and system. */
  roles?: Array<'user' | 'system' | 'developer' | 'assistant' | 'tool'>;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\+?\d[\d ()-]{7,}\d/g;

export const piiRedactor = definePlugin<PiiRedactorOptions>({
  name: 'pii-redactor',
  defaults: { emailMask: '[email]', phoneMask: '[phone]', roles: ['user', 'system'] },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      emailMask: { type: 'string' },
      phoneMask: { type: 'string' },
      roles: { type: 'array', items: { enum: ['user', 'system', 'developer', 'assistant', 'tool'] } },
    },
  },
  apply(gateway, opts) {
    const roles = new Set(opts.roles);
    gateway.hooks.transformRequest.tap({ name: 'pii-redactor', stage: gateway.Stage.EARLY }, (request, ctx) => {
      let count = 0;
      const scrub = (text: string) =>
        text.replace(EMAIL, () => (count++, opts.emailMask!)).replace(PHONE, () => (count++, opts.phoneMask!));
      const messages: ChatMessage[] = request.messages.map((m) => {
        if (!roles.has(m.role as never)) return m;
        if (typeof m.content === 'string') return { ...m, content: scrub(m.content) };
        if (Array.isArray(m.content)) {
          return {
            ...m,
            content: m.content.map((p) =>
              p.type === 'text' ? { ...p, text: scrub((p as { text: string }).text) } : p,
            ),
          };
        }
        return m;
      });
      ctx.responseHeaders['x-pii-redacted'] = String(count);
      // Waterfall: return the (new) request; never mutate the client's object in place.
      return count ? { ...request, messages } : request;
    });
  },
});
