/**
 * Who owns an upstream file or batch: recorded at creation (and for a batch's output files when the
 * batch is seen completed) in the gateway store, keyed by the upstream id. A key sees only what it
 * owns; anything else answers 404 as if it did not exist. With a shared store (redis()) every
 * instance sees the same owners.
 */
import { GatewayError } from '../errors.js';
import type { Store } from '../store.js';

/** How long ownership is kept (files and batches outlive any request). */
const TTL_MS = 400 * 86_400_000;

export interface Owned {
  /** Principal id ('' without auth). */
  owner: string;
  provider: string;
  /** Files: batch request lines counted in the upload; batches: requests in the input file. */
  requests?: number;
  /** Models named by the requests (at most 16). */
  models?: string[];
  /** Output and error files: the batch they belong to. */
  batch?: string;
}

export type OwnedKind = 'file' | 'batch';

const key = (kind: OwnedKind, id: string) => `fwd:own:${kind}:${id}`;

export class Ownership {
  constructor(private readonly store: Store) {}

  get(kind: OwnedKind, id: string): Promise<Owned | undefined> {
    return this.store.get<Owned>(key(kind, id));
  }

  record(kind: OwnedKind, id: string, owned: Owned): Promise<void> {
    return this.store.set(key(kind, id), owned, TTL_MS);
  }

  async forget(kind: OwnedKind, id: string): Promise<void> {
    await this.store.delete(key(kind, id));
  }

  /** True exactly once per batch: the first reader of its results meters them. */
  async firstSettlement(batch: string): Promise<boolean> {
    return (await this.store.increment(`fwd:settled:${batch}`, 1, TTL_MS)) === 1;
  }
}

export const notFound = (kind: OwnedKind, id: string) =>
  new GatewayError(404, `No such ${kind === 'file' ? 'File' : 'Batch'} object: ${id}`, {
    code: 'not_found',
    param: 'id',
  });

/** Upstream ids are opaque tokens; anything else is refused before it reaches a URL. */
export function checkId(kind: OwnedKind, id: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw notFound(kind, id.slice(0, 64));
  return id;
}
