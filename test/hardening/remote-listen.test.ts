/**
 * Issue 14, defect 3: `--host 0.0.0.0` on the quickstart must not give the network keyless access
 * and the well-known admin key. listen() judges the address it binds (CLI flag included) and refuses
 * to start while an accept-everyone principal or the default admin key is in place.
 * Issue 13, item 7: the quickstart serves only requests with NO key as the local user; a presented
 * key that is not valid is a 401.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { createGateway, definePlugin, mock } from '../../index.js';
import { memoryLogger } from '../helpers/gateway.js';
import { runCli, startCli } from '../helpers/cli.js';

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart/switchyard.config.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** A scratch working directory (the quickstart writes its ledger to ./.switchyard/). */
function scratch(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sy-remote-'));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

test(
  'the quickstart with --host 0.0.0.0 refuses to start, ' + 'naming the keyless access and the default admin key',
  async () => {
    const s = scratch();
    try {
      const r = await runCli(['start', '--config', QUICKSTART, '--host', '0.0.0.0', '--port', '0'], {}, 30_000, {
        cwd: s.dir,
      });
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      assert.doesNotMatch(r.stderr, /listening on/);
      assert.match(r.stderr, /server\.host is "0\.0\.0\.0", reachable from other machines/);
      assert.match(r.stderr, /quickstart-local-access serves requests without a key/);
      assert.match(r.stderr, /well-known development admin key/);
      assert.match(r.stderr, /loopback only/);

      // Its own admin key does not make keyless access acceptable off loopback.
      const own = await runCli(
        ['start', '--config', QUICKSTART, '--host', '0.0.0.0', '--port', '0'],
        { SWITCHYARD_ADMIN_KEY: 'an-admin-key-of-my-own-0123456789' },
        30_000,
        { cwd: s.dir },
      );
      assert.equal(own.code, 1);
      assert.match(own.stderr, /quickstart-local-access/);
      assert.doesNotMatch(own.stderr, /development admin key/);
    } finally {
      s[Symbol.dispose]();
    }
  },
);

test(
  'the well-known admin key alone (client auth configured) ' + 'is refused off loopback, served on loopback',
  async () => {
    const s = scratch();
    try {
      const env = { SY_LEDGER: join(s.dir, 'usage.db') };
      const r = await runCli(
        ['start', '--config', fixture('remote-dev-admin.config.ts'), '--host', '0.0.0.0', '--port', '0'],
        env,
        30_000,
        { cwd: s.dir },
      );
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /governance uses the well-known development admin key/);
      const ok = await startCli(
        ['--config', fixture('remote-dev-admin.config.ts'), '--host', '127.0.0.1', '--port', '0'],
        env,
        { cwd: s.dir },
      );
      assert.equal(await ok.stop(), 0);
    } finally {
      s[Symbol.dispose]();
    }
  },
);

test(
  'an auth plugin that accepts requests without a key is ' + 'refused off loopback (even if it declares nothing)',
  async () => {
    const r = await runCli([
      'start',
      '--config',
      fixture('remote-accept-all.config.ts'),
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /a request without any key is accepted \(auth taps: accept-everyone\)/);
  },
);

test('library mode: listen() judges the host it is given, not only server.host', async () => {
  const everyone = definePlugin({
    name: 'accept-everyone',
    apply: (g) => {
      g.hooks.auth.tapPromise('accept-everyone', async () => ({ id: 'anyone' }));
    },
  });
  const gw = await createGateway({ logger: memoryLogger([]), providers: [mock()], plugins: [everyone()] });
  try {
    await assert.rejects(gw.listen({ host: '0.0.0.0', port: 0 }), /a request without any key is accepted/);
    const local = gw.loopbackOnly;
    local.add('test-plugin', 'is for this machine only');
    await assert.rejects(gw.listen({ host: '::', port: 0 }), /test-plugin is for this machine only/);
  } finally {
    await gw.close();
  }
  // A proxy in front that authenticates: the probe is waived, declared loopback-only parts are not.
  const proxied = await createGateway({
    logger: memoryLogger([]),
    providers: [mock()],
    plugins: [everyone()],
    server: { allowUnauthenticatedRemote: true },
  });
  try {
    const { server } = await proxied.listen({ host: '0.0.0.0', port: 0 });
    assert.ok(server.listening);
  } finally {
    await proxied.close();
  }
});

test(
  'quickstart on loopback: no key is the local user; ' + 'a wrong key is 401; a key made through the admin API works',
  async () => {
    const s = scratch();
    const cli = await startCli(['--config', QUICKSTART, '--port', '0'], {}, { cwd: s.dir });
    try {
      const base = `${cli.url}/v1`;
      const ask = (client: OpenAI) =>
        client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
      // the SDK always sends a key; a keyless client is a raw request
      const keyless = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(keyless.status, 200, await keyless.text());
      const wrong = new OpenAI({ baseURL: base, apiKey: 'sk-sy-wrong', maxRetries: 0 });
      await assert.rejects(ask(wrong), (e: any) => e.status === 401 && e.error?.code === 'invalid_api_key');
      const xApiKey = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-sy-wrong' },
        body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(xApiKey.status, 401);
      // a virtual key made through the admin API works
      const made = await fetch(`${cli.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: 'Bearer local-admin-key-change-me', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'try' }),
      }).then((r) => r.json());
      const good = new OpenAI({ baseURL: base, apiKey: made.key, maxRetries: 0 });
      assert.equal((await ask(good)).object, 'chat.completion');
    } finally {
      await cli.stop();
      s[Symbol.dispose]();
    }
  },
);
