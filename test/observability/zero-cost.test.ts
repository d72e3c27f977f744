/**
 * Off means off: a gateway without the otel and export plugins taps none of their hooks, watches no
 * upstream call and loads no OpenTelemetry or broker module; with them, it does.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { createGateway, eventExport, mock, otel } from '../../index.js';
import { memoryLogger } from '../helpers/gateway.js';

const loaded = (name: string) =>
  Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes(`/node_modules/${name}`));

test('without the plugins: no taps, no upstream observer, no OpenTelemetry or broker module loaded', async () => {
  const gw = await createGateway({
    logger: memoryLogger([]),
    providers: [mock()],
    cache: { ttlSeconds: 60 },
    governance: { adminKey: 'admin-key-0123456789abcdef', ledger: { path: ':memory:' } },
  });
  try {
    assert.equal(gw.hooks.attemptStart.isUsed(), false);
    assert.equal(gw.hooks.audit.isUsed(), false);
    assert.equal(gw.upstream.observed, false);
    assert.equal(gw.hooks.cacheLookup.interceptors.length, 0);
    // (prom-client, loaded by governance's /metrics, depends on @opentelemetry/api itself: the SDK is what counts)
    assert.deepEqual(
      loaded('@opentelemetry/').filter((k) => !k.includes('/@opentelemetry/api/')),
      [],
    );
    assert.deepEqual(loaded('@nats-io/'), []);
    assert.deepEqual(loaded('amqplib/'), []);
  } finally {
    await gw.close();
  }
});

test('with them: their hooks are tapped and their packages loaded (the check above can see them)', async () => {
  const gw = await createGateway({
    logger: memoryLogger([]),
    providers: [mock()],
    cache: { ttlSeconds: 60 },
    plugins: [
      otel({ provider: 'own', exporter: { endpoint: 'http://127.0.0.1:9/v1/traces' } }),
      eventExport({
        nats: { servers: 'nats://127.0.0.1:4222' },
        rabbitmq: { url: 'amqp://guest:guest@127.0.0.1:5672', queue: 'unused' },
      }),
    ],
  });
  try {
    assert.equal(gw.hooks.attemptStart.isUsed(), true);
    assert.equal(gw.hooks.audit.isUsed(), true);
    assert.equal(gw.upstream.observed, true);
    assert.equal(gw.hooks.cacheLookup.interceptors.length, 1);
    assert.ok(loaded('@opentelemetry/sdk-trace-base/').length > 0);
    assert.ok(loaded('@opentelemetry/exporter-trace-otlp-proto/').length > 0);
  } finally {
    await gw.close();
  }
});
