/**
 * Guardrail verdicts as audit events: one `guardrail.verdict` per request where a policy fired
 * (block, redact, flag or log; input, output or both), through the real HTTP surface (official openai
 * client) into the export plugin's signed HTTP sink on loopback. Rule ids, actions, phases, counts,
 * key and project ids; never the matched text (canaries: an e-mail, a blocked word, a card). An audit
 * subscriber that throws costs the request nothing.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { definePlugin, eventExport, mock, openai, type AuditEvent } from '../../index.js';
import { startOpenAIEmulator } from '../emulators/openai.js';
import { startGateway } from '../helpers/gateway.js';
import { apiError, drain, recorder, rid, user } from './helpers.js';

const EMAIL = 'zqx.audit-canary@example.com';
const WORD = 'zqxauditcodename';
const CARD = '5105 1051 0510 5100';
const KEY = 'key-audit-app-0000';
const SECRET = 'audit-export-secret-0123';

/** An HTTP batch receiver on loopback: every body it got, raw. */
async function receiver() {
  const bodies: Array<{ body: string; signature: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      bodies.push({ body, signature: req.headers['x-switchyard-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    bodies,
    events: () => bodies.flatMap((b) => JSON.parse(b.body) as Array<{ type: string; data: any }>),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test('one guardrail.verdict audit event per request with verdicts, exported; no matched text', async () => {
  const up = await startOpenAIEmulator();
  const rx = await receiver();
  const exporter = eventExport({ http: { url: rx.url, secret: SECRET }, flushIntervalMs: 20 });
  const t = await startGateway(
    {
      providers: [openai({ apiKey: 'test-key', baseURL: up.url })],
      auth: { keys: [{ id: 'app', key: KEY, project: 'shop' }] },
      guardrails: {
        policies: [
          { id: 'mask', action: 'redact', checks: [{ type: 'pii', entities: ['email'] }] },
          { id: 'no-codenames', action: 'block', checks: [{ type: 'words', name: 'codenames', words: [WORD] }] },
          { id: 'watch', action: 'log', on: 'output', checks: [{ type: 'words', name: 'audit', words: ['invoice'] }] },
          { id: 'no-cards-out', action: 'block', on: 'output', checks: [{ type: 'pii', entities: ['credit_card'] }] },
        ],
      },
      plugins: [exporter],
    },
    KEY,
  );
  const headers = (id: string) => ({ headers: { 'x-request-id': id } });
  try {
    const masked = rid();
    const ok = await t.client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: user(`echo: invoice for ${EMAIL}`) },
      headers(masked),
    );
    assert.equal(ok.choices[0].message.content, `invoice for ${EMAIL}`);

    const blocked = rid();
    const e = await apiError(
      t.client.chat.completions.create({ model: 'gpt-4o-mini', messages: user(`about ${WORD}`) }, headers(blocked)),
    );
    assert.equal(e.code, 'guardrail_blocked');

    const cut = rid();
    const stream = await t.client.chat.completions.create(
      { model: 'openai/tiny-chunks', stream: true, messages: user(`echo: card ${CARD} ok`) },
      headers(cut),
    );
    const { error } = await drain(stream);
    assert.match(String(error), /no-cards-out/);

    const quiet = rid();
    await t.client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('echo: hello') }, headers(quiet));

    assert.ok(await exporter.flush(10_000), 'everything delivered');
    const events = rx.events();
    assert.equal(events.filter((x) => x.type === 'switchyard.usage').length, 4);
    const audits = events.filter((x) => x.type === 'switchyard.guardrail.verdict');
    const byRequest = new Map(audits.map((x) => [x.data.requestId, x.data]));
    assert.equal(audits.length, 3, 'one per request with verdicts, none for the quiet one');
    assert.deepEqual([...byRequest.keys()].sort(), [masked, blocked, cut].sort());

    assert.deepEqual(byRequest.get(masked), {
      requestId: masked,
      keyId: 'app',
      project: 'shop',
      model: 'gpt-4o-mini',
      status: 200,
      action: 'redact',
      phases: ['input', 'output'],
      count: 2,
      rules: ['pii.email', 'words.audit'],
      policies: ['mask', 'watch'],
      verdicts: [
        { policy: 'mask', rule: 'pii.email', action: 'redact', phase: 'input', count: 1 },
        { policy: 'watch', rule: 'words.audit', action: 'log', phase: 'output', count: 1 },
      ],
    });
    const b = byRequest.get(blocked);
    assert.equal(b.status, 400);
    assert.equal(b.action, 'block');
    assert.deepEqual(b.phases, ['input']);
    assert.deepEqual(b.verdicts, [
      { policy: 'no-codenames', rule: 'words.codenames', action: 'block', phase: 'input', count: 1 },
    ]);
    const c = byRequest.get(cut);
    assert.equal(c.action, 'block');
    assert.deepEqual(c.phases, ['output']);
    assert.deepEqual(c.rules, ['pii.credit_card']);

    for (const { body, signature } of rx.bodies) {
      assert.equal(signature, `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    }
    const all = rx.bodies.map((x) => x.body).join('\n');
    for (const canary of [EMAIL, WORD, CARD, CARD.replace(/ /g, ''), 'audit-canary']) {
      assert.ok(!all.includes(canary), `${canary} was exported`);
    }
    assert.ok(!all.includes(KEY), 'no key either');
  } finally {
    await t.close();
    await rx.close();
    await up.close();
  }
});

test('an audit subscriber that throws: the meter record keeps its verdicts, the request is unaffected', async () => {
  const seen: AuditEvent[] = [];
  const tapping = (name: string, fn: (e: AuditEvent) => void) =>
    definePlugin({
      name,
      apply(gw) {
        gw.hooks.audit.tap(name, fn);
      },
    })();
  const { plugin, recordOf } = recorder();
  const t = await startGateway({
    providers: [mock()],
    guardrails: { policies: [{ id: 'mask', action: 'redact', checks: [{ type: 'pii', entities: ['email'] }] }] },
    plugins: [
      tapping('collect-audit', (e) => seen.push(e)),
      tapping('broken-audit', () => {
        throw new Error('subscriber down');
      }),
      plugin,
    ],
  });
  try {
    const id = rid();
    await t.client.chat.completions.create(
      { model: 'mock/mock-small', messages: user(`echo: ${EMAIL}`) },
      { headers: { 'x-request-id': id } },
    );
    const r = await recordOf(id);
    assert.deepEqual(r.guardrails, [{ policy: 'mask', rule: 'pii.email', action: 'redact', phase: 'input', count: 1 }]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].type, 'guardrail.verdict');
    assert.equal(seen[0].requestId, id);
    assert.equal(typeof seen[0].time, 'number');
    assert.ok(t.logs.some((l) => l.includes('guardrails: audit event failed') && l.includes('subscriber down')));
    assert.ok(!JSON.stringify(seen).includes(EMAIL));
  } finally {
    await t.close();
  }
});
