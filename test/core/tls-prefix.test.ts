/** HTTPS when the config names a certificate, and a path prefix for every route. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from 'undici';
import { createGateway, mock } from '../../index.js';

test('serves HTTPS with the configured certificate and key (paths or PEM)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  for (const tls of [
    { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
    { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') },
  ]) {
    const gw = await createGateway({ server: { tls }, providers: [mock()], logging: { level: 'silent' } });
    const { url } = await gw.listen({ port: 0 });
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: cert } });
    const { request } = await import('undici');
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: over tls' }] }),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(
      ((await res.body.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content,
      'over tls',
    );
    await dispatcher.close();
    await gw.close();
  }
});

test('server.prefix mounts every route under it', async () => {
  const gw = await createGateway({ server: { prefix: '/ai' }, providers: [mock()], logging: { level: 'silent' } });
  const { url } = await gw.listen({ port: 0 });
  assert.match(url, /\/ai$/);
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.equal((await fetch(url.replace(/\/ai$/, '/health'))).status, 404);
  await gw.close();
});
