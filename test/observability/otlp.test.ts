/**
 * The otel plugin's own provider exporting over the wire to real OTLP receivers on loopback:
 * HTTP/protobuf and gRPC, with headers, resource attributes and the span tree intact; and an
 * unreachable collector never affects requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mock, otel, type OtelOptions } from '../../index.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { openai } from '../../index.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { startGrpcReceiver, startHttpReceiver, type Receiver } from './otlp-receiver.js';

async function roundTrip(receiver: Receiver, exporter: OtelOptions['exporter']) {
  const up = await startOpenAIEmulator();
  const plugin = otel({
    provider: 'own',
    exporter,
    serviceName: 'gw-test',
    resourceAttributes: { 'deployment.environment.name': 'ci' },
    batch: { scheduledDelayMs: 20 },
  });
  const g = await startGateway({
    providers: [openai({ apiKey: 'test-key', baseURL: up.url }), mock()],
    plugins: [plugin],
  });
  try {
    const { response } = await g.client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'over the wire' }] })
      .withResponse();
    const id = response.headers.get('x-request-id');
    await plugin.flush();
    await eventually(() => receiver.spans.some((s) => s.attributes['switchyard.request.id'] === id), 10_000);
    const root = receiver.spans.find((s) => s.attributes['switchyard.request.id'] === id)!;
    await eventually(() => receiver.spans.filter((s) => s.traceId === root.traceId).length >= 3, 10_000);
    const spans = receiver.spans.filter((s) => s.traceId === root.traceId);
    assert.equal(root.name, 'chat openai/gpt-4o-mini');
    assert.equal(root.kind, 2, 'SPAN_KIND_SERVER on the wire');
    assert.equal(root.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(root.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(typeof root.attributes['gen_ai.usage.input_tokens'], 'number');
    assert.deepEqual(root.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(root.resource['service.name'], 'gw-test');
    assert.equal(root.resource['deployment.environment.name'], 'ci');
    assert.equal(root.scope, 'switchyard');
    const attempt = spans.find((s) => s.name === 'attempt openai/gpt-4o-mini')!;
    const client = spans.find((s) => s.kind === 3)!;
    assert.equal(attempt.parentSpanId, root.spanId);
    assert.equal(client.parentSpanId, attempt.spanId);
    assert.equal(String(up.requests.at(-1)!.headers.traceparent).split('-')[2], client.spanId);
    assert.ok(!JSON.stringify(spans).includes('over the wire'), 'no prompt text exported');
  } finally {
    await g.close(); // flushes and shuts the provider down
    await up.close();
  }
}

test('OTLP over HTTP/protobuf to a real receiver: spans, tree, resource and headers arrive', async () => {
  const receiver = await startHttpReceiver();
  try {
    await roundTrip(receiver, {
      protocol: 'http/protobuf',
      endpoint: receiver.url,
      headers: { 'x-backend-key': 'abc123' },
    });
    assert.ok(receiver.headers.every((h) => h['x-backend-key'] === 'abc123'));
  } finally {
    await receiver.close();
  }
});

test('OTLP over gRPC to a real receiver: spans, tree, resource and metadata arrive', async () => {
  const receiver = await startGrpcReceiver();
  try {
    await roundTrip(receiver, { protocol: 'grpc', endpoint: receiver.url, headers: { 'x-backend-key': 'abc123' } });
    assert.ok(receiver.headers.every((h) => h['x-backend-key'] === 'abc123'));
  } finally {
    await receiver.close();
  }
});

test('an unreachable collector never affects requests, and shutdown does not hang', async () => {
  const g = await startGateway({
    providers: [mock()],
    plugins: [
      otel({
        provider: 'own',
        exporter: { endpoint: 'http://127.0.0.1:9/v1/traces', timeoutMs: 500 },
        batch: { scheduledDelayMs: 10 },
      }),
    ],
  });
  try {
    for (let i = 0; i < 5; i++) {
      const r = await g.client.chat.completions.create({
        model: 'mock/mock-small',
        messages: [{ role: 'user', content: `n${i}` }],
      });
      assert.ok(r.choices[0].message.content);
    }
  } finally {
    const t0 = Date.now();
    await g.close();
    assert.ok(Date.now() - t0 < 10_000, 'close returned');
  }
});
