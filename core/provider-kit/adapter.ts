/**
 * HttpAdapter: the part of a provider adapter that is the same for every HTTP provider. It holds the
 * name, the settings, the ProviderHttp (JSON calls, timeout, error mapping) and the model list, and
 * answers models() and claims(). A provider's adapter extends it and adds chat, chatStream and
 * (optionally) embeddings, translating with its own request.ts / response.ts / stream.ts.
 */
import type { ModelInfo } from '../types.js';
import type { UpstreamClient } from '../upstream.js';
import { ProviderHttp, type ProviderHttpOptions } from './http.js';
import { ModelList } from './models.js';

export interface HttpAdapterSettings {
  /** Provider name used in "provider/model", headers and errors. */
  name: string;
  /** Advertised model ids. */
  models: readonly string[];
  /** Bare model names matching this pattern are routed here too. */
  claims?: RegExp;
  /** Per-provider upstream timeout (ms). */
  timeoutMs?: number;
}

export interface HttpAdapterOptions extends Omit<ProviderHttpOptions, 'timeoutMs'> {
  /** Model ids that are embedding models (default /embed/i); false: all chat. */
  embeddings?: RegExp | false;
}

export abstract class HttpAdapter<S extends HttpAdapterSettings> {
  readonly name: string;
  protected readonly settings: S;
  protected readonly http: ProviderHttp;
  readonly #list: ModelList;

  constructor(settings: S, client: UpstreamClient, options: HttpAdapterOptions = {}) {
    const { embeddings, ...http } = options;
    this.name = settings.name;
    this.settings = settings;
    this.http = new ProviderHttp(settings.name, client, { ...http, timeoutMs: settings.timeoutMs });
    this.#list = new ModelList(settings.models, settings.claims, embeddings);
  }

  models(): ModelInfo[] {
    return this.#list.models;
  }

  claims(model: string): boolean {
    return this.#list.claims(model);
  }
}
