/**
 * The offline quickstart: the `mock` provider simulates models in-process, so this runs with no
 * provider keys and no network. `npm start` serves it on http://127.0.0.1:4000.
 *
 * In your own project, import from 'switchyard' instead of the relative path.
 */
import { defineConfig, mock } from '../../index.js';

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
});
