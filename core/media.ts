/**
 * The pipeline of the media operations (moderations, images, speech, transcriptions, translations) and rerank:
 * auth -> route -> admit (allow-lists, rate limits, a budget hold from ctx.mediaEstimate) -> attempts
 * over the targets whose adapter has the capability -> meter (the handler's ender). Failover between
 * targets only when the request can be sent again (`replayable`: not for an upload streamed once).
 */
import { attempt } from './attempt.js';
import type { MediaContext, MediaOperation, Target } from './context.js';
import { errors } from './errors.js';
import type { GatewayInternals } from './gateway-types.js';
import { admitRequest } from './pipeline.js';
import type { ProviderAdapter, UpstreamCall } from './provider.js';

/** Which adapter method serves each operation. */
const CAPABILITY: Record<MediaOperation, (a: ProviderAdapter) => boolean> = {
  moderations: (a) => a.moderations !== undefined,
  images: (a) => a.imageGenerations !== undefined,
  image_edits: (a) => a.imageUpload !== undefined,
  image_variations: (a) => a.imageUpload !== undefined,
  speech: (a) => a.speech !== undefined,
  transcriptions: (a) => a.audio !== undefined,
  translations: (a) => a.audio !== undefined,
  rerank: (a) => a.rerank !== undefined,
};

const LABEL: Record<MediaOperation, string> = {
  moderations: 'Moderations',
  images: 'Image generation',
  image_edits: 'Image edits',
  image_variations: 'Image variations',
  speech: 'Speech',
  transcriptions: 'Transcriptions',
  translations: 'Translations',
  rerank: 'Rerank',
};

export type MediaCall<T> = (adapter: ProviderAdapter, target: Target, call: UpstreamCall) => Promise<T>;

/** Auth, route and admit, then keep the capable targets (refused with 400 when none is). */
export async function admitMedia(gw: GatewayInternals, ctx: MediaContext): Promise<void> {
  await admitRequest(gw, ctx);
  const can = CAPABILITY[ctx.operation];
  const capable = ctx.targets.filter((t) => {
    const a = gw.providers.get(t.provider);
    return a !== undefined && can(a);
  });
  if (!capable.length) throw errors.unsupported(LABEL[ctx.operation], ctx.targets[0].provider);
  ctx.targets = capable;
}

/** Run the attempts of an admitted media request. */
export function attemptMedia<T>(
  gw: GatewayInternals,
  ctx: MediaContext,
  replayable: boolean,
  call: MediaCall<T>,
): Promise<T> {
  if (!replayable) ctx.targets = ctx.targets.slice(0, 1);
  return attempt(gw, ctx, call);
}
