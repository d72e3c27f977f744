/**
 * Seconds of audio for metering transcriptions: from the upstream's answer when it says (verbose_json
 * `duration`, or `usage: { type: 'duration', seconds }`), else from a WAV file's header, else an estimate
 * from the upload's size. Nothing of the audio itself is kept.
 */

/** Bytes per second assumed for a budget hold: 16 kbit/s, below common speech encodings (an upper bound of seconds). */
export const HOLD_BYTES_PER_SECOND = 2000;
/** Bytes per second assumed when nothing tells the duration: 128 kbit/s, a common MP3 rate (marked as an estimate). */
export const ESTIMATE_BYTES_PER_SECOND = 16_000;

/** Duration reported in a transcription answer, if any. */
export function reportedSeconds(answer: unknown): number | undefined {
  if (!answer || typeof answer !== 'object') return undefined;
  const a = answer as { duration?: unknown; usage?: { type?: unknown; seconds?: unknown } };
  if (typeof a.duration === 'number' && Number.isFinite(a.duration) && a.duration >= 0) return a.duration;
  const s = a.usage?.type === 'duration' ? a.usage.seconds : undefined;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? s : undefined;
}

/** Duration of a PCM WAV file from its first bytes (RIFF header, `fmt ` byte rate, `data` size), if it is one. */
export function wavSeconds(head: Buffer): number | undefined {
  const riff =
    head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE';
  if (!riff) return undefined;
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= head.length; ) {
    const id = head.toString('latin1', at, at + 4);
    const size = head.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 20 <= head.length) byteRate = head.readUInt32LE(at + 16);
    if (id === 'data') return byteRate ? size / byteRate : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}
