/**
 * Model requests that shutdown may cut. While a chat or Responses request is being served, its
 * handler registers a `cut` function; after the drain grace, `gateway.close()` calls every one still
 * registered: the handler aborts its upstream call and ends the answer with 503 server_shutting_down
 * in the client's dialect (an SSE error event for a stream that started, an error body otherwise)
 * and meters it, instead of the client seeing a bare TCP close and the record being lost.
 *
 * Keyed by the gateway's hooks object: ingresses serve through views of the gateway (a different
 * provider registry) that share it.
 */
const open = new WeakMap<object, Set<() => void>>();

/** Register a request's cut function; call the returned function when the request has ended. */
export function trackOpenRequest(hooks: object, cut: () => void): () => void {
  let set = open.get(hooks);
  if (!set) open.set(hooks, (set = new Set()));
  set.add(cut);
  return () => set.delete(cut);
}

/** Cut every request still open; the number cut. */
export function cutOpenRequests(hooks: object): number {
  const set = open.get(hooks);
  if (!set) return 0;
  const cuts = [...set];
  set.clear();
  for (const cut of cuts) cut();
  return cuts.length;
}
