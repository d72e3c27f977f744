/**
 * Cost of the non-token units of a media or rerank request (core/media.ts) from a catalog entry's media prices:
 * images by quality and size, speech by characters, transcription by seconds of audio, rerank by search units
 * (Cohere's searches, Bedrock's queries). Integer amounts in 1e-12 USD, like costUnits (cost.ts).
 */
import type { BilledUnits } from '../../core/usage.js';

export interface MediaPrices {
  /**
   * USD per image, keyed "<quality>/<size>" ("hd/1024x1792"), or "<size>" for models priced by size alone
   * ("*" for one price whatever the size: no key matches, so the highest, the only one, applies).
   * A size or quality the table does not list ("auto", or none sent and no `default`) is priced at the
   * highest listed price: the upstream does not report which one it chose.
   */
  perImage?: Record<string, number>;
  /** The "<quality>/<size>" (or "<size>") key a request without size and quality gets (the API's defaults). */
  defaultImage?: string;
  /** USD per 1M characters of text turned into speech. */
  perMillionCharacters?: number;
  /** USD per minute of audio transcribed or translated (charged per second). */
  perMinute?: number;
  /** USD per 1,000 search units (a query with up to 100 documents): Cohere's and Bedrock's rerank price. */
  perThousandSearches?: number;
  /**
   * USD per 1M input tokens that are images (GPT image models' edits). The other input tokens (the prompt's
   * text) are priced at the entry's `prices.input`; output images per image (`perImage`).
   */
  perMillionImageInputTokens?: number;
}

const pico = (usd: number) => Math.round(usd * 1e12);

/** Price of one image (USD) for the size and quality asked for. */
export function imagePrice(p: Record<string, number>, size?: string, quality?: string, fallback?: string): number {
  const keys = [quality && size ? `${quality}/${size}` : undefined, size, !size && !quality ? fallback : undefined];
  for (const k of keys) if (k && p[k] !== undefined) return p[k];
  return Math.max(0, ...Object.values(p));
}

export function mediaCostUnits(m: BilledUnits | undefined, p: MediaPrices | undefined): number {
  if (!m || !p) return 0;
  let units = 0;
  if (m.images && p.perImage) {
    units += pico(imagePrice(p.perImage, m.imageSize, m.imageQuality, p.defaultImage)) * m.images;
  }
  if (m.characters && p.perMillionCharacters) units += Math.round(p.perMillionCharacters * 1e6) * m.characters;
  if (m.audioSeconds && p.perMinute) units += Math.round((pico(p.perMinute) / 60) * m.audioSeconds);
  if (m.searchUnits && p.perThousandSearches) units += Math.round((pico(p.perThousandSearches) / 1000) * m.searchUnits);
  return units;
}
