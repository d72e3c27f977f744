/**
 * Model requests that shutdown may cut. While a chat or Responses request is being served, its
 * handler registers its RequestLife; after the drain grace, `gateway.close()` cuts every one still
 * registered: the handler aborts its upstream call and ends the answer with 503 server_shutting_down
 * in the client's dialect (an SSE error event for a stream that started, an error body otherwise)
 * and meters it, instead of the client seeing a bare TCP close and the record being lost.
 *
 * Keyed by the gateway's hooks object: ingresses serve through views of the gateway (a different
 * provider registry) that share it.
 */
import { LiveList } from '../live-list.js';

/** What shutdown can cut: a request's life (RequestLife). */
export interface Cuttable {
  cutNow(): void;
}

const open = new WeakMap<object, LiveList<Cuttable>>();

/**
 * The open requests of a gateway (its hooks object), made on first use. A request adds itself (the
 * RequestLife is the entry's value: no closure per request) and removes its entry when it has ended.
 */
export function openRequests(hooks: object): LiveList<Cuttable> {
  let list = open.get(hooks);
  if (!list) open.set(hooks, (list = new LiveList()));
  return list;
}

/** Cut every request still open; the number cut. */
export function cutOpenRequests(hooks: object): number {
  const list = open.get(hooks);
  if (!list) return 0;
  const cuts = list.clear();
  for (const request of cuts) request.cutNow();
  return cuts.length;
}
