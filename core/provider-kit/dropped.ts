/**
 * The dropped-params report: request fields an adapter could not send upstream, listed in ONE
 * response header, `x-switchyard-dropped-params`, comma-separated without spaces, each name once,
 * added to what is already there (an ingress may have listed fields before the attempt). The core
 * resets the header before each attempt (core/attempt.ts), so it describes the attempt that answered.
 */
import { DROPPED_HEADER } from '../attempt.js';
import type { UpstreamCall } from '../provider.js';

export { DROPPED_HEADER };

/** Add `names` to the attempt's dropped-params header (nothing when empty). */
export function reportDropped(call: Pick<UpstreamCall, 'ctx'>, names: Iterable<string>): void {
  const list = [...names];
  if (!list.length) return;
  const headers = call.ctx.responseHeaders;
  const prev = headers[DROPPED_HEADER];
  headers[DROPPED_HEADER] = [...new Set([...(prev ? prev.split(',') : []), ...list])].join(',');
}
