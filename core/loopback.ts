/**
 * The rule for listening beyond this machine. `listen()` judges the address it actually binds (after
 * CLI flags and environment, not only `server.host`) and refuses to start when it is not loopback and:
 * - a plugin declared a part of itself loopback-only (`gateway.loopbackOnly.add(name, reason)`): an
 *   accept-everyone principal, a well-known development key. `allowUnauthenticatedRemote` does not
 *   override these: they never serve off loopback;
 * - no auth tap is installed, or a request presenting no key at all is given a principal (an auth
 *   tap that accepts everyone), unless `server.allowUnauthenticatedRemote` says a proxy in front
 *   authenticates.
 * Refusing to start (rather than disabling the part with a warning) is deliberate: a warning in a
 * log is easy to miss, and a gateway that silently behaves differently off loopback is worse.
 */
import { ConfigError, isLoopback } from './config.js';
import type { Gateway } from './gateway-types.js';
import { createContext } from './request-context.js';

export class LoopbackOnly {
  readonly #reasons = new Map<string, string>();

  /** Declare that `name` must never serve beyond loopback, and why (shown when listen() refuses). */
  add(name: string, reason: string): void {
    this.#reasons.set(name, reason);
  }

  get reasons(): Array<{ name: string; reason: string }> {
    return [...this.#reasons].map(([name, reason]) => ({ name, reason }));
  }
}

/** Does the auth hook give a principal to a request that presents no key at all? */
async function acceptsAnonymous(gw: Gateway): Promise<boolean> {
  const probe = createContext(gw, 'probe', { id: 'listen-check' });
  try {
    return Boolean(await gw.hooks.auth.promise(probe));
  } catch {
    return false; // refused: auth is enforced
  }
}

/** Throw a ConfigError when the gateway must not listen on `host` (see the file comment). */
export async function checkListenHost(gw: Gateway, host: string): Promise<void> {
  if (isLoopback(host)) return;
  const where = `is "${host}", reachable from other machines`;
  const local = gw.loopbackOnly.reasons;
  if (local.length) {
    throw new ConfigError(
      'server.host',
      `${where}, but ${local.map((l) => `${l.name} ${l.reason}`).join('; ')}`,
      'These serve on loopback only (127.0.0.1, ::1, localhost), whatever allowUnauthenticatedRemote says. ' +
        'Listen on loopback, or remove them (set SWITCHYARD_ADMIN_KEY to your own key; ' +
        'drop the keyless local access plugin and give clients keys).',
    );
  }
  if (gw.config.server.allowUnauthenticatedRemote) return;
  if (!gw.hooks.auth.isUsed()) {
    throw new ConfigError(
      'server.host',
      `${where}, but no client auth is configured`,
      'Configure auth.keys (or an auth plugin), ' +
        'or set server.allowUnauthenticatedRemote: true if a proxy in front authenticates.',
    );
  }
  if (await acceptsAnonymous(gw)) {
    throw new ConfigError(
      'server.host',
      `${where}, but a request without any key is accepted ` +
        `(auth taps: ${gw.hooks.auth.taps.map((t) => t.name).join(', ')})`,
      'Make every auth tap refuse requests without a key, ' +
        'or set server.allowUnauthenticatedRemote: true if a proxy in front authenticates.',
    );
  }
}
