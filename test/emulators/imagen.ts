/**
 * Imagen's `predict` method as the Gemini API and Vertex AI document it (mounted by gemini.ts for model ids
 * starting with "imagen-"): `{ instances: [{ prompt }], parameters: { sampleCount, aspectRatio,
 * sampleImageSize, personGeneration, outputOptions: { mimeType, compressionQuality }, includeRaiReason, ... } }`
 * -> `{ predictions: [{ bytesBase64Encoded, mimeType }] }`. Checked as the API does: exactly one instance with
 * a prompt, sampleCount 1-4, aspect ratios 1:1 3:4 4:3 9:16 16:9, sampleImageSize 1K or 2K (not on the fast
 * model), mimeType image/png or image/jpeg; bad values answer 400 INVALID_ARGUMENT. A prompt containing
 * "forbidden" is filtered: with includeRaiReason each sample is `{ raiFilteredReason }`, without it the answer
 * is `{}`. The image bytes are a tiny PNG-signed payload naming the sample.
 */
const ASPECT_RATIOS = ['1:1', '3:4', '4:3', '9:16', '16:9'];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const IMAGEN_FILTER_REASON =
  'Your current safety filter threshold filtered out the prompt. Try rephrasing the prompt. Support codes: 58061214';

export interface ImagenAnswer {
  status: number;
  body: unknown;
}

const invalid = (message: string): ImagenAnswer => ({
  status: 400,
  body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } },
});

export function imagenPredict(model: string, body: any): ImagenAnswer {
  const instances = body?.instances;
  if (!Array.isArray(instances) || instances.length !== 1 || typeof instances[0]?.prompt !== 'string') {
    return invalid('Imagen takes exactly one instance with a text prompt.');
  }
  const p = body.parameters ?? {};
  const count = p.sampleCount ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 4) {
    return invalid(`Image generation failed with the following error: sampleCount must be 1 to 4, got ${count}.`);
  }
  if (p.aspectRatio !== undefined && !ASPECT_RATIOS.includes(p.aspectRatio)) {
    return invalid(`Unsupported aspect ratio: ${p.aspectRatio}.`);
  }
  if (p.sampleImageSize !== undefined) {
    if (!['1K', '2K'].includes(p.sampleImageSize)) return invalid(`Unsupported sampleImageSize: ${p.sampleImageSize}.`);
    if (model.includes('fast')) return invalid(`sampleImageSize is not supported by ${model}.`);
  }
  const mimeType = p.outputOptions?.mimeType ?? 'image/png';
  if (!['image/png', 'image/jpeg'].includes(mimeType)) return invalid(`Unsupported mimeType: ${mimeType}.`);
  if (/forbidden/i.test(instances[0].prompt)) {
    if (!p.includeRaiReason) return { status: 200, body: {} };
    return {
      status: 200,
      body: { predictions: Array.from({ length: count }, () => ({ raiFilteredReason: IMAGEN_FILTER_REASON })) },
    };
  }
  return {
    status: 200,
    body: {
      predictions: Array.from({ length: count }, (_, i) => ({
        mimeType,
        bytesBase64Encoded: Buffer.concat([PNG_SIGNATURE, Buffer.from(`imagen ${model} sample ${i}`)]).toString(
          'base64',
        ),
      })),
    },
  };
}
