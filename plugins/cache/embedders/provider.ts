/**
 * An embedder that calls a configured provider's embeddings endpoint through the gateway's own
 * provider registry: `gateway.providers.get(provider).embeddings(...)`, the same adapter (with its
 * keys, base URL, pooled connections and error mapping) that serves /v1/embeddings. Works with any
 * provider plugin that implements `embeddings` (OpenAI text-embedding-3-small, Azure, Gemini,
 * Cohere, Ollama, the mock provider ...).
 *
 * The adapter is called with a synthetic embeddings context: its own request id
 * (`<request id>:cache-embed`), the client request's abort signal, no principal, and a `state`
 * marked `{ cache: { internal: true } }`. It does not pass through the pipeline: no auth, routing,
 * failover, or meter record for the embedding call. Its token usage is counted in the cache stats
 * (`embeddingTokens`).
 */
import { createContext } from '../../../core/request-context.js';
import type { Gateway } from '../../../core/gateway-types.js';
import type { EmbeddingsResponse } from '../../../core/types.js';
import { normalise, type Embedder } from './types.js';

export interface ProviderEmbedderOptions {
  /** A registered provider name, e.g. "openai". */
  provider: string;
  /** The provider's embedding model id, e.g. "text-embedding-3-small". */
  model: string;
  /** Requested dimensions, for models that accept it. */
  dimensions?: number;
}

function decode(e: number[] | string): Float32Array {
  if (typeof e !== 'string') return Float32Array.from(e);
  const b = Buffer.from(e, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface ProviderEmbedder extends Embedder {
  /** Tokens the embedding calls used so far. */
  readonly tokens: number;
}

export function providerEmbedder(gateway: Gateway, o: ProviderEmbedderOptions): ProviderEmbedder {
  let tokens = 0;
  return {
    id: `provider:${o.provider}/${o.model}${o.dimensions ? `@${o.dimensions}` : ''}`,
    get tokens() {
      return tokens;
    },
    async embed(texts, options = {}) {
      const adapter = gateway.providers.get(o.provider);
      if (!adapter?.embeddings)
        throw new Error(`cache embedder: provider "${o.provider}" is not registered or has no embeddings`);
      const p = options.ctx;
      const request = {
        model: o.model,
        input: texts,
        encoding_format: 'float' as const,
        ...(o.dimensions ? { dimensions: o.dimensions } : {}),
      };
      const target = { provider: o.provider, model: o.model };
      const ctx = createContext(gateway, 'embeddings', {
        id: `${p?.id ?? 'cache'}:cache-embed`,
        dialect: 'internal',
        signal: options.signal,
        request,
      });
      ctx.targets = [target];
      ctx.target = target;
      ctx.state.cache = { internal: true };
      const res: EmbeddingsResponse = await adapter.embeddings(request, { target, signal: ctx.signal, ctx });
      tokens += res.usage?.total_tokens ?? 0;
      const out = new Array<Float32Array>(texts.length);
      for (const d of res.data) out[d.index] = normalise(decode(d.embedding as number[] | string));
      return out;
    },
  };
}
