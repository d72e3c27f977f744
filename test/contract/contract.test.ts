/**
 * The provider contract (test/contract/provider-contract.ts) run against every provider plugin with
 * its emulated upstream, and against the in-process mock. Providers run concurrently, each with its
 * own emulator and gateway on 127.0.0.1.
 *
 * Every difference from the default contract is written here with the plugin's documented rule. The
 * multimodal cases (multimodal-cases.ts) run in the same suites; `multimodal` gives each provider's
 * documented content forms (native-forms.ts) and what it takes or refuses.
 */
import { describe } from 'node:test';
import OpenAI from 'openai';
import { anthropic, azureOpenAI, bedrock, cohere, gemini, mock, openai, vertex } from '../../index.js';
import { startAnthropicEmulator } from '../emulators/anthropic.js';
import { startAzureOpenAIEmulator } from '../emulators/azure-openai.js';
import { EMULATOR_CREDENTIALS, startBedrockEmulator } from '../emulators/bedrock.js';
import { startCohereEmulator } from '../emulators/cohere.js';
import { GEMINI_TEST_KEY, VERTEX_TEST_TOKEN, startGeminiEmulator } from '../emulators/gemini.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { multimodalCases, type MultimodalSpec } from './multimodal-cases.js';
import { ANTHROPIC_WIRE, BEDROCK_WIRE, COHERE_WIRE, GEMINI_WIRE, OPENAI_WIRE } from './native-forms.js';
import { runProviderContract, type ProviderContractSpec } from './provider-contract.js';

/** Reason shared by the providers whose upstream emulator answers from simulateChat unchanged. */
const SIM_NO_STOP =
  'the emulator answers from simulateChat, which does not implement stop sequences ' +
  '(OpenAI wire format passes `stop` through untranslated)';
const SIM_NO_CACHE = 'the emulator answers from simulateChat, which always reports cached_tokens 0';
const SIM_NO_REASONING = 'the emulator answers from simulateChat, which produces no reasoning content';

/** Refusals shared by the providers that answer in text only (core/provider-kit/multimodal.ts). */
const TEXT_ONLY_OUT = (provider: string) => ({
  refused: `${provider} answers in text only: refuseAudioOutput (400, param modalities)`,
});

const specs: Array<ProviderContractSpec & { multimodal: MultimodalSpec }> = [
  {
    name: 'openai',
    async start() {
      const emu = await startOpenAIEmulator();
      return { providers: [openai({ apiKey: 'test-key', baseURL: emu.url })], upstream: emu, close: () => emu.close() };
    },
    // The openai preset claims gpt-*/o* names only; emulator behaviours need the provider prefix.
    model: (b) => (b === 'chat' ? 'openai/gpt-4o' : `openai/${b}`),
    caps: {
      imageDataUrl: true,
      imageHttpUrl: true,
      jsonSchema: true,
      parallelTools: true,
      streamUsage: true,
      stopSequences: SIM_NO_STOP,
      cachedTokens: SIM_NO_CACHE,
      reasoning: SIM_NO_REASONING,
    },
    multimodal: { native: OPENAI_WIRE, audioIn: true, audioOut: true }, // passed through as sent
    errors: {},
    failures: true,
  },
  {
    name: 'anthropic',
    async start() {
      const emu = await startAnthropicEmulator();
      return {
        providers: [anthropic({ apiKey: 'test-key', baseURL: emu.url })],
        upstream: emu,
        close: () => emu.close(),
      };
    },
    model: (b) => (b === 'chat' ? 'anthropic/claude-sonnet-4-5' : `anthropic/${b}`),
    caps: {
      imageDataUrl: true,
      imageHttpUrl: true, // anthropic/request.ts: http(s) URLs -> url image source
      jsonSchema: true, // json_schema -> a forced tool whose input becomes the content
      parallelTools: true,
      streamUsage: true,
      stopSequences: true,
      // anthropic/request.ts keeps a system text part's cache_control; the emulator then reports cache reads.
      cachedTokens: {
        request: (p) => ({
          ...p,
          messages: [
            {
              role: 'system',
              content: [
                {
                  type: 'text',
                  text: 'A long, cacheable system prompt.',
                  cache_control: { type: 'ephemeral' },
                } as OpenAI.ChatCompletionContentPartText,
              ],
            },
            ...p.messages,
          ],
        }),
      },
      // reasoning_effort low -> thinking budget 1024; reasoning_tokens is an estimate (anthropic/response.ts).
      reasoning: { request: (p) => ({ ...p, reasoning_effort: 'low' }), tokens: true },
    },
    multimodal: {
      native: ANTHROPIC_WIRE,
      audioIn: { refused: 'Anthropic Messages takes no audio (anthropic/request.ts: 400 naming the part)' },
      audioOut: TEXT_ONLY_OUT('Anthropic'),
    },
    errors: {
      // anthropic/errors.ts: 529 overloaded_error -> 503 (code overloaded_error).
      overloaded: { status: 503, cls: OpenAI.InternalServerError, code: 'overloaded_error' },
    },
    failures: true,
  },
  {
    name: 'gemini',
    async start() {
      const emu = await startGeminiEmulator();
      return {
        providers: [gemini({ apiKey: GEMINI_TEST_KEY, baseURL: emu.url })],
        upstream: emu,
        close: () => emu.close(),
      };
    },
    model: (b) => (b === 'chat' ? 'gemini/gemini-2.5-flash' : `gemini/${b}`),
    caps: {
      imageDataUrl: true, // gemini/request.ts: data: URL -> inlineData
      imageHttpUrl: true, // gemini/request.ts: http(s) URL -> fileData {fileUri, mimeType}
      jsonSchema: true, // responseMimeType + responseSchema
      parallelTools: true,
      streamUsage: true,
      stopSequences: true,
      // The emulator reports cachedContentTokenCount for model ids containing 'cached'.
      cachedTokens: { request: (p) => ({ ...p, model: 'gemini/gemini-2.5-flash-cached' }) },
      // The emulator adds a thought part and thoughtsTokenCount for ids containing 'thinking'.
      reasoning: { request: (p) => ({ ...p, model: 'gemini/gemini-2.5-flash-thinking' }), tokens: true },
    },
    multimodal: {
      native: GEMINI_WIRE, // gemini/request.ts: inlineData (images, audio/<format>), fileData for URLs
      audioIn: true,
      audioOut: TEXT_ONLY_OUT('the gemini adapter (Gemini audio answers are not translated)'),
    },
    errors: {},
    failures: true,
  },
  {
    name: 'vertex',
    async start() {
      const emu = await startGeminiEmulator();
      return {
        providers: [
          vertex({
            accessToken: VERTEX_TEST_TOKEN,
            project: 'proj-contract',
            location: 'us-central1',
            baseURL: emu.url,
          }),
        ],
        upstream: emu,
        close: () => emu.close(),
      };
    },
    // vertex() claims no bare names (gemini/index.ts): always "vertex/<model>".
    model: (b) => (b === 'chat' ? 'vertex/gemini-2.5-flash' : `vertex/${b}`),
    caps: {
      imageDataUrl: true,
      imageHttpUrl: true,
      jsonSchema: true,
      parallelTools: true,
      streamUsage: true,
      stopSequences: true,
      cachedTokens: { request: (p) => ({ ...p, model: 'vertex/gemini-2.5-flash-cached' }) },
      reasoning: { request: (p) => ({ ...p, model: 'vertex/gemini-2.5-flash-thinking' }), tokens: true },
    },
    multimodal: {
      native: GEMINI_WIRE,
      audioIn: true,
      audioOut: TEXT_ONLY_OUT('the vertex adapter (Gemini audio answers are not translated)'),
    },
    errors: {},
    failures: true,
  },
  {
    name: 'bedrock',
    async start() {
      const emu = await startBedrockEmulator();
      // SigV4 with long-term credentials; the emulator recomputes and checks every signature.
      return {
        providers: [bedrock({ region: 'us-west-2', ...EMULATOR_CREDENTIALS, baseURL: emu.url })],
        upstream: emu,
        close: () => emu.close(),
      };
    },
    model: (b) => (b === 'chat' ? 'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0' : `bedrock/${b}`),
    caps: {
      imageDataUrl: true,
      // bedrock/request.ts: "http(s) image URLs are rejected with 400 (Converse only takes bytes and
      // the gateway does not fetch URLs)".
      imageHttpUrl: { rejected: 400, reason: 'Converse takes image bytes only (bedrock/request.ts)' },
      jsonSchema: true, // a system block asking for JSON (plus the schema)
      parallelTools: true,
      streamUsage: true,
      stopSequences: true,
      // The emulator reports cacheReadInputTokens for model ids containing 'cache'.
      cachedTokens: { request: (p) => ({ ...p, model: 'bedrock/us.anthropic.claude-cache-v1:0' }) },
      // The emulator adds a reasoningContent block for ids containing 'reasoning'. Converse usage has
      // no reasoning token count (bedrock/response.ts toUsage), so only the content is asserted.
      reasoning: { request: (p) => ({ ...p, model: 'bedrock/us.anthropic.claude-reasoning-v1:0' }), tokens: false },
    },
    multimodal: {
      native: BEDROCK_WIRE, // bedrock/request.ts: image bytes only
      audioIn: { refused: 'Converse takes no audio blocks (bedrock/request.ts: 400 naming the part)' },
      audioOut: TEXT_ONLY_OUT('Converse'),
      mayCallToolsAnyway:
        'Converse has no "none" tool choice: with tool blocks in the history bedrock/request.ts must send ' +
        'toolConfig, and the emulated model then calls a tool again',
    },
    errors: {
      // bedrock/errors.ts: ModelNotReadyException (Bedrock's "overloaded", HTTP 429) -> 429 rate_limit_error,
      // retryable.
      overloaded: { status: 429, cls: OpenAI.RateLimitError },
    },
    failures: true,
  },
  {
    name: 'azure-openai',
    async start() {
      const emu = await startAzureOpenAIEmulator();
      return {
        // Deployment mode: gpt-4o -> deployment prod-4o; other names are used as the deployment name.
        providers: [azureOpenAI({ apiKey: 'test-key', endpoint: emu.url, deployments: { 'gpt-4o': 'prod-4o' } })],
        upstream: emu,
        close: () => emu.close(),
      };
    },
    model: (b) => (b === 'chat' ? 'azure-openai/gpt-4o' : `azure-openai/${b}`),
    caps: {
      imageDataUrl: true,
      imageHttpUrl: true,
      jsonSchema: true,
      parallelTools: true,
      streamUsage: true,
      stopSequences: SIM_NO_STOP,
      cachedTokens: SIM_NO_CACHE,
      reasoning: SIM_NO_REASONING,
    },
    // OpenAI's wire format; azure-openai/stream.ts keeps deltas that carry only `audio`.
    multimodal: { native: OPENAI_WIRE, audioIn: true, audioOut: true },
    errors: {
      // azure-openai/adapter.ts: DeploymentNotFound is normalised to model_not_found.
      'error-404': { status: 404, cls: OpenAI.NotFoundError, code: 'model_not_found' },
    },
    failures: true,
  },
  {
    name: 'cohere',
    async start() {
      const emu = await startCohereEmulator();
      return { providers: [cohere({ apiKey: 'test-key', baseURL: emu.url })], upstream: emu, close: () => emu.close() };
    },
    model: (b) => (b === 'chat' ? 'cohere/command-a-03-2025' : `cohere/${b}`),
    caps: {
      imageDataUrl: true, // cohere/translate.ts: image_url parts kept as Cohere v2 takes them
      imageHttpUrl: true,
      jsonSchema: true, // json_schema -> {type: json_object, json_schema}
      parallelTools: true,
      streamUsage: true,
      stopSequences: true,
      cachedTokens: 'the Cohere emulator reports no cached tokens (Chat v2 usage has billed_units and tokens only)',
      reasoning: 'the Cohere emulator produces no thinking content',
    },
    multimodal: {
      native: COHERE_WIRE, // cohere/request.ts: image_url parts kept
      audioIn: { refused: 'Cohere Chat v2 takes text and image_url parts only (cohere/request.ts: 400)' },
      audioOut: TEXT_ONLY_OUT('Cohere'),
    },
    errors: {},
    failures: true,
  },
  {
    name: 'mock',
    async start() {
      return { providers: [mock()], close: async () => undefined };
    },
    model: (b) => (b === 'chat' ? 'mock-small' : `mock/${b}`),
    caps: {
      imageDataUrl: true,
      imageHttpUrl: true,
      jsonSchema: true,
      parallelTools: true,
      streamUsage: true,
      stopSequences: 'the mock answers from simulateChat, which does not implement stop sequences',
      cachedTokens: 'the mock always reports cached_tokens 0',
      reasoning: 'the mock produces no reasoning content',
    },
    // In-process: no upstream body; audio out simulated (mock/simulate-audio.ts), input audio counted.
    multimodal: { audioIn: true, audioOut: true },
    errors:
      'the in-process mock has no error behaviours by model id ' +
      '(its only failure is a random retryable 503 from failureRate)',
    failures:
      'the in-process mock has no broken-stream or slow behaviours by model id (latencyMs applies to every request)',
  },
];

describe('provider contract', { concurrency: 2 }, () => {
  for (const spec of specs) runProviderContract(spec, [multimodalCases(spec.multimodal)]);
});
