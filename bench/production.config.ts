/**
 * The benchmark's production configuration as a TypeScript config file, for the CLI:
 *
 *   OPENAI_API_KEY=... OPENAI_BASE_URL=http://127.0.0.1:UPORT/v1 \
 *     node bin/switchyard.js start --config bench/production.config.ts --port PORT
 *
 * `npm run bench` starts it this way to measure the idle memory of a `.ts` config (the CLI bundles the
 * config with esbuild and runs the compiled gateway, no loader in the process: core/config-loader.ts).
 * The config itself is bench/scenarios.ts's
 * `productionConfig()`, the same object the headline scenario runs.
 */
import { defineConfig } from '../index.js';
import { productionConfig } from './scenarios.js';

export default defineConfig(productionConfig());
