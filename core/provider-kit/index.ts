/**
 * The provider kit: what every provider adapter shares. A provider folder under plugins/providers/
 * uses it as follows (docs/plugins.md#writing-a-provider-adapter):
 * - options: `apiKeyFrom`, `baseURLFrom`, `PROVIDER_OPTIONS` (core/provider-options.ts);
 * - the adapter: `HttpAdapter` (name, settings, models, claims, the ProviderHttp);
 * - calls: `ProviderHttp` (JSON POST with timeout, abort and error mapping), `readUpstreamError`,
 *   `errorFields`, `openAIError`;
 * - translation: `textOnly`, `parseToolArguments`, `pushTurn`;
 * - audio: `refuseAudioOutput` (400 param `modalities` for text-only providers), `inputAudio` and
 *   `checkInputAudio` (an empty `input_audio` part is a 400 naming it);
 * - results: `reportDropped` (the x-switchyard-dropped-params header), `ModelList`.
 */
export { HttpAdapter, type HttpAdapterOptions, type HttpAdapterSettings } from './adapter.js';
export {
  ProviderHttp,
  jsonHeaders,
  type ErrorMapper,
  type PostOptions,
  type ProviderHttpOptions,
  type StreamingAnswer,
} from './http.js';
export {
  answeredStatus,
  errorFields,
  openAIError,
  readUpstreamError,
  RETRY_AFTER,
  type ErrorFields,
  type UpstreamErrorBody,
} from './errors.js';
export { DROPPED_HEADER, reportDropped } from './dropped.js';
export { ModelList } from './models.js';
export { parseToolArguments, pushTurn, systemTexts, textOnly } from './translate.js';
export { checkInputAudio, inputAudio, refuseAudioOutput, wantsAudioOutput, type InputAudio } from './multimodal.js';
export {
  apiKeyFrom,
  baseURLFrom,
  checkBaseURL,
  noApiKey,
  PROVIDER_OPTIONS,
} from '../provider-options.js';
