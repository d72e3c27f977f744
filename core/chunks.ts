/**
 * Converting between a complete chat response and its stream of chunks: assembling a stream (for
 * caching and metering) and replaying a stored answer as a stream.
 */
import type { ChatCompletionChunk, ChatCompletionResponse, FinishReason, ToolCall, Usage } from './types.js';

/**
 * The upstream's own JSON text for a response or chunk, attached by adapters whose upstream already
 * speaks the client's format (OpenAI-compatible). When nothing changed the object, the OpenAI dialect
 * sends this text instead of serialising again. Anything that modifies the object must drop it
 * (the pipeline does so around transform hooks and usage stripping).
 */
export const RAW_JSON = Symbol.for('switchyard.rawJson');

export type WithRaw = { [RAW_JSON]?: string };

/** The raw JSON of an object, if it still carries one. */
export function rawJson(value: object): string | undefined {
  return (value as WithRaw)[RAW_JSON];
}

/** Forget the raw JSON (call before or after changing the object). */
export function dropRaw<T extends object>(value: T): T {
  delete (value as WithRaw)[RAW_JSON];
  return value;
}

/** A spoken answer (`modalities` with "audio"): OpenAI's `message.audio`. */
export interface AudioAnswer {
  id: string;
  /** Base64 audio bytes in the requested format. */
  data: string;
  /** Unix seconds after which the upstream forgets the id (multi-turn references). */
  expires_at: number;
  transcript: string;
}

interface ChoiceAcc {
  content: string;
  hasContent: boolean;
  refusal?: string;
  toolCalls: ToolCall[];
  /** The expiry is left out until a piece carries it. */
  audio?: Omit<AudioAnswer, 'expires_at'> & { expires_at?: number };
  finish: FinishReason;
}

/**
 * A streamed `delta.audio` piece: any of the id, base64 data, transcript text, and (last) the expiry.
 * Data and transcript pieces are appended in order.
 */
function addAudio(acc: ChoiceAcc, piece: unknown): void {
  if (!piece || typeof piece !== 'object') return;
  const p = piece as Partial<AudioAnswer>;
  const a = (acc.audio ??= { id: '', data: '', transcript: '' });
  if (typeof p.id === 'string' && p.id) a.id = p.id;
  if (typeof p.data === 'string') a.data += p.data;
  if (typeof p.transcript === 'string') a.transcript += p.transcript;
  if (typeof p.expires_at === 'number') a.expires_at = p.expires_at;
}

/** Accumulates chunks into the equivalent complete response. */
export class ChunkAccumulator {
  id = '';
  model = '';
  created = 0;
  usage?: Usage;
  systemFingerprint?: string | null;
  readonly #choices: ChoiceAcc[] = [];

  add(chunk: ChatCompletionChunk): void {
    if (!this.id) {
      this.id = chunk.id;
      this.model = chunk.model;
      this.created = chunk.created;
      this.systemFingerprint = chunk.system_fingerprint;
    }
    if (chunk.usage) this.usage = chunk.usage;
    for (const ch of chunk.choices) {
      const acc = (this.#choices[ch.index] ??= { content: '', hasContent: false, toolCalls: [], finish: null });
      const d = ch.delta;
      if (d) {
        if (typeof d.content === 'string') {
          acc.content += d.content;
          if (d.content) acc.hasContent = true; // the empty role chunk does not make a tool-call answer textual
        }
        if (typeof d.refusal === 'string') acc.refusal = (acc.refusal ?? '') + d.refusal;
        if (d.audio) addAudio(acc, d.audio);
        if (d.tool_calls) {
          for (const tc of d.tool_calls) {
            const slot = (acc.toolCalls[tc.index] ??= {
              id: '',
              type: 'function',
              function: { name: '', arguments: '' },
            });
            if (tc.id) slot.id = tc.id;
            if (tc.function?.name) slot.function.name += tc.function.name;
            if (tc.function?.arguments) slot.function.arguments += tc.function.arguments;
          }
        }
      }
      if (ch.finish_reason) acc.finish = ch.finish_reason;
    }
  }

  /** True when every choice seen has a finish reason. */
  get finished(): boolean {
    return this.#choices.length > 0 && this.#choices.every((c) => c?.finish);
  }

  get hasToolCalls(): boolean {
    return this.#choices.some((c) => c && c.toolCalls.length > 0);
  }

  toResponse(): ChatCompletionResponse {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: this.#choices.map((c, index) => ({
        index,
        message: {
          role: 'assistant' as const,
          // A spoken answer's text is its transcript: content stays null, as OpenAI sends it.
          content: c.hasContent || (c.toolCalls.length === 0 && !c.audio) ? c.content : null,
          ...(c.refusal !== undefined ? { refusal: c.refusal } : {}),
          ...(c.toolCalls.length ? { tool_calls: c.toolCalls.filter(Boolean) } : {}),
          ...(c.audio ? { audio: { ...c.audio } } : {}),
        },
        finish_reason: c.finish,
      })),
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.systemFingerprint !== undefined ? { system_fingerprint: this.systemFingerprint } : {}),
    };
  }
}

/** Split text into pieces of at most `size` characters. */
export const fixedPieces =
  (size: number) =>
  (text: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out;
  };

/** Base64 audio is replayed in pieces of this many characters (a multiple of 4: whole bytes). */
const AUDIO_DATA_PIECE = 8192;

/**
 * `message.audio` as OpenAI streams it (`delta.audio`): the id with the first transcript piece, the other
 * transcript pieces, the base64 data in pieces, and last the expiry alone.
 */
function audioDeltas(audio: AudioAnswer, split: (text: string) => string[]): Array<Partial<AudioAnswer>> {
  const transcript = split(typeof audio.transcript === 'string' ? audio.transcript : '');
  const out: Array<Partial<AudioAnswer>> = [{ id: audio.id, transcript: transcript[0] ?? '' }];
  for (const piece of transcript.slice(1)) out.push({ transcript: piece });
  for (const piece of fixedPieces(AUDIO_DATA_PIECE)(typeof audio.data === 'string' ? audio.data : ''))
    out.push({ data: piece });
  if (typeof audio.expires_at === 'number') out.push({ expires_at: audio.expires_at });
  return out;
}

/**
 * Replay a complete response as chunks: a role chunk, the content in pieces, the audio (`delta.audio`
 * pieces, see audioDeltas), tool calls, the finish chunk, and a usage chunk when the response has usage.
 */
export function responseToChunks(
  res: ChatCompletionResponse,
  split: (text: string) => string[] = fixedPieces(64),
): ChatCompletionChunk[] {
  const base = { id: res.id, object: 'chat.completion.chunk' as const, created: res.created, model: res.model };
  const out: ChatCompletionChunk[] = [];
  for (const choice of res.choices) {
    const msg = choice.message;
    out.push({
      ...base,
      choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    const text = typeof msg.content === 'string' ? msg.content : '';
    for (const piece of split(text)) {
      out.push({ ...base, choices: [{ index: choice.index, delta: { content: piece }, finish_reason: null }] });
    }
    const audio = msg.audio as AudioAnswer | undefined;
    if (audio && typeof audio === 'object') {
      for (const piece of audioDeltas(audio, split))
        out.push({ ...base, choices: [{ index: choice.index, delta: { audio: piece }, finish_reason: null }] });
    }
    (msg.tool_calls ?? []).forEach((tc, index) => {
      out.push({
        ...base,
        choices: [
          {
            index: choice.index,
            delta: {
              tool_calls: [
                {
                  index,
                  id: tc.id,
                  type: 'function',
                  function: { name: tc.function.name, arguments: tc.function.arguments },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      });
    });
    out.push({ ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }] });
  }
  if (res.usage) out.push({ ...base, choices: [], usage: res.usage });
  return out;
}
