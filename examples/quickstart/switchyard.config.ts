/**
 * The offline quickstart: the `mock` provider simulates models in-process, so this runs with no
 * provider keys and no network. `npm start` serves it on http://127.0.0.1:4000.
 *
 * The dashboard is at http://127.0.0.1:4000/dashboard: sign in with the admin key, which is
 * SWITCHYARD_ADMIN_KEY, else the LOCAL-ONLY default below (change it before exposing anything).
 *
 * In your own project, import from 'switchyard' instead of the relative path.
 */
import { dashboard, defineConfig, definePlugin, mock } from '../../index.js';

/** LOCAL DEVELOPMENT ONLY: a well-known admin key, used when SWITCHYARD_ADMIN_KEY is not set. */
const LOCAL_ADMIN_KEY = 'local-admin-key-change-me';

/**
 * Governance makes every request present a key. So that the quickstart keeps working without one,
 * requests without a virtual key are served as the principal "local" (refused unless the gateway
 * listens on loopback). Remove this in a real deployment.
 */
const localAccess = definePlugin({
  name: 'quickstart-local-access',
  apply(gateway) {
    const host = gateway.config.server.host;
    if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) throw new Error('quickstart-local-access serves keyless requests on loopback only');
    gateway.hooks.auth.tapPromise({ name: 'quickstart-local-access', stage: gateway.Stage.LATE }, async () => ({ id: 'local' }));
  },
});

export default defineConfig({
  server: { host: '127.0.0.1', port: 4000 },
  providers: [
    mock({ latencyMs: 20, chunkDelayMs: 15 }),
  ],
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
