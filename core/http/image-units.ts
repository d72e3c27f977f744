/**
 * The units an images request is metered in (core/usage.ts MediaUsage): how many images, at which size
 * and quality. The answer's own `size` and `quality` win over the request's (GPT image models report what
 * they chose for "auto"), so the catalog prices what was made. Nothing of the images or the prompt is kept.
 */
import { errors } from '../errors.js';
import type { Usage } from '../types.js';
import type { MediaUsage } from '../usage.js';

type Json = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v && v !== 'auto' ? v : undefined);

/** Size and quality asked for (or reported by the answer), as far as they are known. */
export function imageShape(request: Json, answer?: Json): Pick<MediaUsage, 'imageSize' | 'imageQuality'> {
  const size = text(answer?.size) ?? (typeof request.size === 'string' ? request.size : undefined);
  const quality = text(answer?.quality) ?? (typeof request.quality === 'string' ? request.quality : undefined);
  return { ...(size ? { imageSize: size } : {}), ...(quality ? { imageQuality: quality } : {}) };
}

/**
 * The token usage a GPT image model reports (`usage: { input_tokens, output_tokens, input_tokens_details:
 * { text_tokens, image_tokens } }`): the prompt's text and input images are billed per token on top of the
 * output images. Undefined when the answer has none (dall-e, Imagen).
 */
export function imageTokens(answer: Json): { usage: Usage; imageInputTokens?: number } | undefined {
  const u = answer.usage as Json | undefined;
  if (!u || typeof u !== 'object') return undefined;
  const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  const images = count((u.input_tokens_details as Json | undefined)?.image_tokens);
  return {
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
    ...(images ? { imageInputTokens: Math.min(images, input) } : {}),
  };
}

/** The images of an answer in OpenAI's format (`data: [...]`); a 502 when it has none. */
export function answeredImages(provider: string, answer: Json): number {
  if (!Array.isArray(answer.data)) throw errors.upstreamBadResponse(provider, 'an images answer has no data');
  return answer.data.length;
}
