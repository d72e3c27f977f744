/**
 * The offline quickstart: the `mock` provider simulates models in-process, so this runs with no
 * provider keys and no network. `npm start` serves it on http://127.0.0.1:4000.
 *
 * The dashboard is at http://127.0.0.1:4000/dashboard: sign in with the admin key, which is
 * SWITCHYARD_ADMIN_KEY, else the LOCAL-ONLY default LOCAL_ADMIN_KEY ('local-admin-key-change-me'), which
 * the gateway refuses to serve beyond loopback.
 *
 * In your own project, import from 'switchyard-gateway' instead of the relative path.
 */
import { dashboard, defineConfig, definePlugin, LOCAL_ADMIN_KEY, mock, presentedKey } from '../../index.js';

/**
 * Governance makes every request present a key. So that the quickstart keeps working without one,
 * requests that present NO key are served as the principal "local"; a key that is presented must be
 * valid (else 401), so trying a key shows whether it works. Declared loopback-only: the gateway
 * refuses to listen beyond this machine (e.g. `--host 0.0.0.0`) while this plugin is installed, and
 * so it does while the admin key is the well-known LOCAL_ADMIN_KEY ('local-admin-key-change-me').
 * Remove this in a real deployment.
 */
const localAccess = definePlugin({
  name: 'quickstart-local-access',
  apply(gateway) {
    gateway.loopbackOnly.add('quickstart-local-access', 'serves requests without a key as the principal "local"');
    gateway.hooks.auth.tapPromise({ name: 'quickstart-local-access', stage: gateway.Stage.LATE }, async (ctx) =>
      presentedKey(ctx.headers) ? undefined : { id: 'local' },
    );
  },
});

export default defineConfig({
  server: { host: '127.0.0.1', port: 4000 },
  providers: [mock({ latencyMs: 20, chunkDelayMs: 15 })],
  routing: {
    aliases: {
      // Clients can ask for "smart" or "cheap"; the gateway picks the target.
      smart: ['mock/mock-large', 'mock/mock-small'],
      cheap: 'mock/mock-small',
    },
  },
  failover: { retries: 1, backoffMs: 100 },
  cache: { ttlSeconds: 300 },
  // Virtual keys, budgets and the usage ledger (in .switchyard/, gitignored); the admin API at /admin/*.
  governance: {
    adminKey: process.env.SWITCHYARD_ADMIN_KEY ?? LOCAL_ADMIN_KEY,
    ledger: { path: '.switchyard/usage.db' },
  },
  plugins: [localAccess(), dashboard({ publicStatus: true })],
});
