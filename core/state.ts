/**
 * Typed keys for per-request state that plugins share (`ctx.state`). A key names its slot and its type
 * once, where it is defined; readers and writers import the key, never a string:
 *   export const MODELS_LIST = stateKey<string[]>('router.modelsList');   // the router
 *   setState(ctx, MODELS_LIST, list);                                   // the router
 *   const forced = getState(ctx, MODELS_LIST) !== undefined;            // governance
 * Names are namespaced by the owning plugin ("<plugin>.<what>"); the value lives at ctx.state[name].
 */
export interface StateKey<T> {
  readonly name: string;
  /** Type only: never set. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return Object.freeze({ name });
}

interface HasState {
  state: Record<string, unknown>;
}

export function getState<T>(ctx: HasState, key: StateKey<T>): T | undefined {
  return ctx.state[key.name] as T | undefined;
}

export function setState<T>(ctx: HasState, key: StateKey<T>, value: T): void {
  ctx.state[key.name] = value;
}
