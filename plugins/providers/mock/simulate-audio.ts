/**
 * Deterministic audio output for a simulated chat answer (`modalities` with "audio", `audio: {voice,
 * format}`), in OpenAI's documented shape: the answer's text becomes `message.audio.transcript`,
 * `message.content` is null, and `message.audio` carries an id, base64 audio bytes and `expires_at`
 * (one hour after `created`). Streams carry it as `delta.audio` pieces (core/chunks.ts responseToChunks).
 *
 * The audio is a soft tone, 24 kHz 16-bit mono (OpenAI's pcm16), 60 ms per transcript word, its pitch
 * derived from the transcript: `wav` is that PCM in a RIFF/WAVE container, `pcm16` the raw samples. Other
 * formats (mp3, flac, opus, aac) are refused with 400 `audio.format`: the simulation has no encoder for them.
 * Used by the `mock` provider and by the emulated OpenAI and Azure OpenAI upstreams in the tests, when the
 * request asks for audio (core/provider-kit wantsAudioOutput).
 */
import { createHash } from 'node:crypto';
import type { ChatCompletionRequest, ChatCompletionResponse } from '../../../core/types.js';

export const SAMPLE_RATE = 24_000;
const MS_PER_WORD = 60;
/** Audio output tokens per second of speech, as the simulation reports them. */
const AUDIO_TOKENS_PER_SECOND = 10;
const FORMATS = new Set(['wav', 'pcm16']);

/** A problem with the request's audio output parameters, in OpenAI's error terms. */
export interface AudioRequestProblem {
  message: string;
  param: string;
}

/** What is wrong with an audio-output request (undefined when it can be answered). */
export function audioRequestProblem(req: ChatCompletionRequest): AudioRequestProblem | undefined {
  const audio = req.audio as { voice?: unknown; format?: unknown } | undefined | null;
  if (!audio || typeof audio !== 'object')
    return { message: 'The `audio` parameter is required when `modalities` includes "audio".', param: 'audio' };
  if (typeof audio.voice !== 'string' || !audio.voice)
    return { message: 'audio.voice is required (e.g. "alloy").', param: 'audio.voice' };
  if (typeof audio.format !== 'string' || !FORMATS.has(audio.format))
    return {
      message: `audio.format "${String(audio.format)}" cannot be simulated: use "wav" or "pcm16".`,
      param: 'audio.format',
    };
  return undefined;
}

/** 16-bit mono PCM samples of a tone lasting 60 ms per word of `transcript`, fading in and out. */
export function simulatedPcm(transcript: string): Buffer {
  const words = Math.max(1, transcript.split(/\s+/).filter(Boolean).length);
  const samples = Math.round((SAMPLE_RATE * MS_PER_WORD * words) / 1000);
  const pitch = 180 + (createHash('sha256').update(transcript).digest().readUInt16BE(0) % 240);
  const pcm = Buffer.alloc(samples * 2);
  const fade = Math.min(samples / 2, SAMPLE_RATE / 100);
  for (let i = 0; i < samples; i++) {
    const envelope = Math.min(1, i / fade, (samples - 1 - i) / fade);
    const v = Math.sin((2 * Math.PI * pitch * i) / SAMPLE_RATE) * envelope * 0.3;
    pcm.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  return pcm;
}

/** PCM wrapped in a 44-byte RIFF/WAVE header (PCM, mono, 16-bit, SAMPLE_RATE). */
export function wavOf(pcm: Buffer): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/**
 * Turn a simulated text answer into a spoken one (see the header); tool-call answers are left as they are.
 * The request must have passed audioRequestProblem. Changes `res` in place and returns it.
 */
export function addSimulatedAudio(res: ChatCompletionResponse, req: ChatCompletionRequest): ChatCompletionResponse {
  const format = (req.audio as { format: string }).format;
  let audioTokens = 0;
  for (const choice of res.choices) {
    const msg = choice.message;
    if (typeof msg.content !== 'string' || msg.tool_calls?.length) continue;
    const transcript = msg.content;
    const pcm = simulatedPcm(transcript);
    const bytes = format === 'wav' ? wavOf(pcm) : pcm;
    const seed = `${res.id}|${choice.index}|${format}|${transcript}`;
    msg.content = null;
    msg.audio = {
      id: `audio_${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`,
      data: bytes.toString('base64'),
      expires_at: res.created + 3600,
      transcript,
    };
    audioTokens += Math.ceil((pcm.length / 2 / SAMPLE_RATE) * AUDIO_TOKENS_PER_SECOND);
  }
  // As OpenAI reports them: completion_tokens includes the audio tokens, also given on their own.
  const u = res.usage;
  if (u && audioTokens) {
    u.completion_tokens += audioTokens;
    u.total_tokens = u.prompt_tokens + u.completion_tokens;
    u.completion_tokens_details = { ...u.completion_tokens_details, audio_tokens: audioTokens };
  }
  return res;
}
