/**
 * Virtual keys: from the config (plaintext from the environment, or a SHA-256 hash) and created at
 * runtime through the admin API (persisted in the ledger as hashes; the key is shown once). Lookup
 * hashes the presented key and compares digests in constant time.
 */
import { randomBytes } from 'node:crypto';
import { PluginOptionsError } from '../../core/plugin.js';
import { lookupByDigest, sha256 } from '../../core/secrets.js';
import type { Ledger, StoredKey } from './ledger/types.js';
import type { BudgetSpec, EndUserSpecs, KeySpec, LimitSpec } from './types.js';

export interface KeyAttributes {
  name?: string;
  project?: string;
  models?: string[];
  budgets?: BudgetSpec[];
  limits?: LimitSpec;
  expiresAt?: string;
  tags?: string[];
  metadata?: Record<string, string>;
  endUsers?: EndUserSpecs;
}

export interface VirtualKey extends KeyAttributes {
  id: string;
  hash: Buffer;
  source: 'config' | 'runtime';
  createdAt: number;
  revokedAt: number | null;
  /** Epoch ms of expiresAt. */
  expiresAtMs?: number;
}

export const ATTRIBUTES = [
  'name',
  'project',
  'models',
  'budgets',
  'limits',
  'expiresAt',
  'tags',
  'metadata',
  'endUsers',
] as const;

export function newKey(): string {
  return `sk-sy-${randomBytes(24).toString('base64url')}`;
}

function pick(a: KeyAttributes): KeyAttributes {
  const out: KeyAttributes = {};
  for (const k of ATTRIBUTES) if (a[k] !== undefined) (out as Record<string, unknown>)[k] = a[k];
  return out;
}

function build(
  id: string,
  hash: Buffer,
  attrs: KeyAttributes,
  source: VirtualKey['source'],
  createdAt: number,
  revokedAt: number | null,
): VirtualKey {
  const k: VirtualKey = { id, hash, source, createdAt, revokedAt, ...pick(attrs) };
  if (attrs.expiresAt) k.expiresAtMs = Date.parse(attrs.expiresAt);
  return k;
}

/**
 * The config's keys, checked before anything is opened (governance checks them before its ledger): each
 * has `key` or `keyHash`, and no id repeats. Throws the PluginOptionsError that names the key.
 */
export function checkKeySpecs(specs: KeySpec[]): void {
  const ids = new Set<string>();
  for (const [i, s] of specs.entries()) {
    if (!s.key && !s.keyHash)
      throw new PluginOptionsError('governance', `keys[${i}]`, `needs \`key\` or \`keyHash\` (id "${s.id}")`);
    if (ids.has(s.id))
      throw new PluginOptionsError('governance', `keys[${i}].id`, `repeats the id "${s.id}" of an earlier key`);
    ids.add(s.id);
  }
}

export class KeyRegistry {
  readonly #byHash = new Map<string, VirtualKey>();
  readonly #byId = new Map<string, VirtualKey>();

  constructor(
    specs: KeySpec[],
    private readonly ledger?: Ledger,
  ) {
    checkKeySpecs(specs);
    for (const s of specs) {
      const hash = s.keyHash ? Buffer.from(s.keyHash, 'hex') : sha256(s.key!);
      this.#add(build(s.id, hash, s, 'config', 0, null));
    }
  }

  #add(k: VirtualKey): void {
    this.#byHash.set(k.hash.toString('hex'), k);
    this.#byId.set(k.id, k);
  }

  /** Load runtime keys from the ledger (at boot). */
  async load(): Promise<void> {
    if (!this.ledger) return;
    for (const s of await this.ledger.loadKeys()) {
      if (this.#byId.get(s.id)?.source === 'config') continue;
      this.#add(build(s.id, Buffer.from(s.hash, 'hex'), s.attrs as KeyAttributes, 'runtime', s.createdAt, s.revokedAt));
    }
  }

  /** The key matching a presented secret, looked up by its digest (revoked and expired included). */
  find(presented: string): VirtualKey | undefined {
    return lookupByDigest(this.#byHash, presented);
  }

  get(id: string): VirtualKey | undefined {
    return this.#byId.get(id);
  }

  list(): VirtualKey[] {
    return [...this.#byId.values()];
  }

  /** Create a runtime key; the plaintext is returned once and never stored. */
  async create(
    attrs: KeyAttributes,
    id = `vk_${randomBytes(8).toString('hex')}`,
  ): Promise<{ key: string; record: VirtualKey }> {
    if (this.#byId.has(id)) throw new Error(`a key with id "${id}" exists`);
    const key = newKey();
    const record = build(id, sha256(key), attrs, 'runtime', Date.now(), null);
    await this.#persist(record);
    this.#add(record);
    return { key, record };
  }

  async update(id: string, attrs: KeyAttributes): Promise<VirtualKey> {
    const old = this.#byId.get(id)!;
    const merged: KeyAttributes = { ...pick(old), ...pick(attrs) };
    for (const k of ATTRIBUTES)
      if ((attrs as Record<string, unknown>)[k] === null) delete (merged as Record<string, unknown>)[k];
    const record = build(id, old.hash, merged, old.source, old.createdAt, old.revokedAt);
    await this.#persist(record);
    this.#add(record);
    return record;
  }

  async revoke(id: string): Promise<VirtualKey> {
    const old = this.#byId.get(id)!;
    const record = { ...old, revokedAt: old.revokedAt ?? Date.now() };
    await this.#persist(record);
    this.#add(record);
    return record;
  }

  async #persist(k: VirtualKey): Promise<void> {
    if (!this.ledger || k.source !== 'runtime') return;
    const stored: StoredKey = {
      id: k.id,
      hash: k.hash.toString('hex'),
      createdAt: k.createdAt,
      revokedAt: k.revokedAt,
      attrs: pick(k) as Record<string, unknown>,
    };
    await this.ledger.saveKey(stored);
  }
}

/** What the admin API shows of a key: never the key, never its hash. */
export function publicKey(k: VirtualKey, now = Date.now()) {
  return {
    id: k.id,
    ...pick(k),
    source: k.source,
    status: k.revokedAt ? 'revoked' : k.expiresAtMs !== undefined && k.expiresAtMs <= now ? 'expired' : 'active',
    createdAt: k.createdAt ? new Date(k.createdAt).toISOString() : null,
    revokedAt: k.revokedAt ? new Date(k.revokedAt).toISOString() : null,
  };
}
