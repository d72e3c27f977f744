/** Instances behind nginx in deploy/nginx/test.sh: the mock provider, the exact cache, the Redis store. */
import { defineConfig, mock, redis } from '../../index.js';

export default defineConfig({
  providers: [mock()],
  auth: false, // loopback test: no client keys, whatever SWITCHYARD_API_KEYS says
  store: redis({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: process.env.REDIS_PREFIX ?? 'nginx-test:',
  }),
  cache: {},
  logging: { level: 'warn' },
});
