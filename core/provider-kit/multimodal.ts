/**
 * Audio in a chat request, the same for every provider:
 * - `refuseAudioOutput`: a provider that cannot produce audio answers a request with `modalities` holding
 *   "audio" with 400 invalid_request_error, param `modalities`, instead of a text-only 200;
 * - `inputAudio`: an `input_audio` part's base64 data and format, or 400 naming the empty field (an empty
 *   clip is never sent upstream, nor silently left out);
 * - `checkInputAudio`: the same check over a whole conversation, for adapters that forward parts as they are.
 */
import { GatewayError } from '../errors.js';
import type { ChatMessage, ContentPart } from '../types.js';

const invalid = (message: string, param: string, code = 'invalid_request') =>
  new GatewayError(400, message, { type: 'invalid_request_error', code, param });

/** True when the request asks for audio output (`modalities` holds "audio"). */
export function wantsAudioOutput(req: Readonly<Record<string, unknown>>): boolean {
  return Array.isArray(req.modalities) && req.modalities.includes('audio');
}

/** Throw 400 (param `modalities`) when the request asks `provider`, which answers in text only, for audio. */
export function refuseAudioOutput(req: Readonly<Record<string, unknown>>, provider: string): void {
  if (!wantsAudioOutput(req)) return;
  throw invalid(
    `Provider "${provider}" cannot produce audio output: send modalities ["text"] (or leave it out), ` +
      'or route the request to an OpenAI or Azure OpenAI audio model.',
    'modalities',
    'unsupported_parameter',
  );
}

export interface InputAudio {
  /** Base64 audio bytes. */
  data: string;
  /** The encoding, e.g. "wav" or "mp3". */
  format: string;
}

/** An `input_audio` part's data and format; 400 naming `<where>.input_audio.data|format` when one is empty. */
export function inputAudio(part: ContentPart, where: string): InputAudio {
  const a = (part as { input_audio?: { data?: unknown; format?: unknown } }).input_audio;
  if (typeof a?.data !== 'string' || !a.data.trim())
    throw invalid(
      `${where}.input_audio.data is empty: an audio part needs base64 audio bytes.`,
      `${where}.input_audio.data`,
    );
  if (typeof a.format !== 'string' || !a.format)
    throw invalid(`${where}.input_audio.format is required (e.g. "wav" or "mp3").`, `${where}.input_audio.format`);
  return { data: a.data, format: a.format };
}

/** Check every `input_audio` part of a conversation (see inputAudio). */
export function checkInputAudio(messages: readonly ChatMessage[]): void {
  for (let i = 0; i < messages.length; i++) {
    const content = messages[i].content;
    if (!Array.isArray(content)) continue;
    for (let j = 0; j < content.length; j++)
      if (content[j]?.type === 'input_audio') inputAudio(content[j], `messages[${i}].content[${j}]`);
  }
}
