/**
 * A production-style self-hosted config: real providers from environment keys, client keys, model
 * aliases with fallbacks, the cache, and listening on all interfaces (allowed because auth is on).
 *
 *   OPENAI_API_KEY=... ANTHROPIC_API_KEY=... GROQ_API_KEY=... \
 *   SWITCHYARD_KEY_WEB=... SWITCHYARD_KEY_BATCH=... \
 *   node bin/switchyard.js start --config examples/self-host/switchyard.config.ts
 *
 * In your own project, import from 'switchyard-gateway' instead of the relative path.
 */
import { anthropic, defineConfig, groq, openai } from '../../index.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`Set ${name} in the environment.`);
  return v;
};

export default defineConfig({
  server: { host: '0.0.0.0', port: 4000, bodyLimit: 20 * 1024 * 1024 },
  providers: [openai(), anthropic(), groq()],
  auth: {
    keys: [
      { id: 'web-app', key: env('SWITCHYARD_KEY_WEB'), project: 'web' },
      { id: 'batch-jobs', key: env('SWITCHYARD_KEY_BATCH'), project: 'data' },
    ],
  },
  routing: {
    aliases: {
      smart: ['anthropic/claude-sonnet-4-5', 'openai/gpt-4.1'],
      fast: ['groq/llama-3.3-70b-versatile', 'openai/gpt-4.1-mini'],
      cheap: ['openai/gpt-4.1-nano', 'groq/llama-3.1-8b-instant'],
    },
  },
  failover: { retries: 1, backoffMs: 250, maxBackoffMs: 2000 },
  cache: { ttlSeconds: 600, maxTemperature: 0.3 },
  upstream: { timeoutMs: 120_000 },
  logging: { level: 'info' },
});
