/**
 * A listening gateway turns off V8's allocation-site pretenuring for its process (core/pretenuring.ts,
 * `server.allocationSitePretenuring`); a gateway mounted in another app leaves the host's V8 alone.
 * Observed in a child process through V8's own trace (`--trace-pretenuring-statistics` prints each
 * site's decision, "=> tenure" when V8 starts allocating a site's objects in the old generation): after
 * the gateway is up, the child allocates objects from one literal and keeps them across young
 * collections, which V8 tenures within a few collections unless the flag is off.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MARK = 'PRETENURING_TEST_WORKLOAD';

const CHILD = `
import Koa from 'koa';
import { createGateway, mock } from './index.ts';
const mode = process.env.MODE;
const server = mode === 'keep' ? { allocationSitePretenuring: true } : {};
const gw = await createGateway({ providers: [mock()], logging: { level: 'silent' }, server });
let status;
let close;
if (mode === 'library') {
  const app = new Koa();
  app.use(gw.middleware());
  const srv = app.listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const url = 'http://127.0.0.1:' + srv.address().port;
  status = await call(url);
  close = () => new Promise((r) => srv.close(r));
} else {
  const { url } = await gw.listen({ port: 0, host: '127.0.0.1' });
  status = await call(url);
  close = () => gw.close();
}
async function call(url) {
  const res = await fetch(url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-fast', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
process.stdout.write('\\n${MARK}\\n');
const make = (i) => ({ a: i, b: { c: i } });
let keep = [];
for (let i = 0; i < 3e6; i++) {
  keep.push(make(i));
  if (keep.length > 4e5) keep = [];
}
await close();
await gw.close();
process.stdout.write('\\nSTATUS ' + status + ' KEPT ' + keep.length + '\\n');
`;

/** The child's HTTP status and the tenure decisions V8 traced after the gateway was up. */
function run(mode: 'default' | 'keep' | 'library'): Promise<{ status: number; tenured: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--trace-pretenuring', '--trace-pretenuring-statistics', '--import', 'tsx', '--input-type=module', '-e', CHILD],
      { cwd: ROOT, env: { ...process.env, MODE: mode }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        const at = stdout.indexOf(MARK);
        const status = /STATUS (\d+)/.exec(stdout);
        if (at < 0 || !status) return reject(new Error(`no marker or status in the child's output\n${stderr}`));
        resolve({ status: Number(status[1]), tenured: stdout.slice(at).split('=> tenure').length - 1 });
      },
    );
  });
}

test('a listening gateway stops V8 from tenuring allocation sites', async () => {
  const r = await run('default');
  assert.equal(r.status, 200);
  assert.equal(r.tenured, 0, 'no site tenured after listen()');
});

test('server.allocationSitePretenuring: true keeps V8 tenuring (the workload does get tenured)', async () => {
  const r = await run('keep');
  assert.equal(r.status, 200);
  assert.ok(r.tenured > 0, `expected tenure decisions, got ${r.tenured}`);
});

test('a gateway mounted in another app leaves V8 tenuring as it was', async () => {
  const r = await run('library');
  assert.equal(r.status, 200);
  assert.ok(r.tenured > 0, `expected tenure decisions, got ${r.tenured}`);
});
