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
/** What shutdown can cut: a request's life (RequestLife). */
export interface Cuttable {
  cutNow(): void;
}

const open = new WeakMap<object, Set<Cuttable>>();

/** The set of open requests of a gateway (its hooks object), made on first use. */
function openOf(hooks: object): Set<Cuttable> {
  let set = open.get(hooks);
  if (!set) open.set(hooks, (set = new Set()));
  return set;
}

/**
 * Register an open request; `untrackOpenRequest` when it has ended. The request itself is the entry
 * (no closures per request).
 */
export function trackOpenRequest(hooks: object, request: Cuttable): Set<Cuttable> {
  const set = openOf(hooks);
  set.add(request);
  return set;
}

/** Cut every request still open; the number cut. */
export function cutOpenRequests(hooks: object): number {
  const set = open.get(hooks);
  if (!set) return 0;
  const cuts = [...set];
  set.clear();
  for (const request of cuts) request.cutNow();
  return cuts.length;
}
