/**
 * Defect 13 (issue 14): ten failed sign-ins from one address blocked the correct admin key for 60 s,
 * and behind a proxy every client shares one address, so anyone could lock the admin out. Now the
 * correct key is never refused; failures are slowed per client address (exponential delay, a cap on
 * failures held at once); the address is the socket's peer, or with `server.trustedProxies` the
 * X-Forwarded-For entry the trusted proxies vouch for.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { ConfigError, createGateway, dashboard, mock } from '../../index.js';
import { clientAddressResolver } from '../../core/http/client-address.js';
import { LoginBackoff } from '../../plugins/dashboard/sessions.js';
import { tempDb } from '../governance/helpers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const ADMIN = 'dashboard-admin-key-0123456789';

const FAST = { loginDelayMs: 20, loginMaxDelayMs: 200 };
/** Failures held long enough that a parallel flood finds every waiting slot taken. */
const HELD = { loginDelayMs: 500, loginMaxDelayMs: 1000 };

async function gateway(extra: Record<string, unknown> = {}, options = FAST): Promise<TestGateway> {
  return startGateway({
    providers: [mock()],
    governance: { adminKey: ADMIN, ledger: { path: tempDb() } },
    plugins: [dashboard(options)],
    ...extra,
  } as never);
}

async function login(t: TestGateway, key: string, xff?: string) {
  const res = await fetch(`${t.url}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(xff ? { 'x-forwarded-for': xff } : {}) },
    body: `key=${encodeURIComponent(key)}`,
  });
  await res.text();
  return {
    status: res.status,
    failed: res.headers.get('x-switchyard-login') === 'failed',
    cookie: res.headers.get('set-cookie') ?? '',
  };
}

test('the correct key signs in after any number of failures from the same address', async () => {
  const t = await gateway();
  try {
    for (let i = 0; i < 15; i++) {
      const r = await login(t, `wrong-key-${i}`);
      assert.ok(r.failed || r.status === 429, `attempt ${i}: ${r.status}`);
      assert.equal(r.cookie, '');
    }
    const ok = await login(t, ADMIN);
    assert.equal(ok.status, 303, 'signed in, not blocked');
    assert.match(ok.cookie, /^sy_dash=/);
  } finally {
    await t.close();
  }
});

test(
  'a flood of failures is slowed (at most a few held at once, ' + 'the rest refused) while the admin gets in mid-flood',
  async () => {
    const t = await gateway({}, HELD);
    try {
      const flood = Array.from({ length: 30 }, (_, i) => login(t, `guess-${i}`));
      const admin = await login(t, ADMIN);
      const results = await Promise.all(flood);
      assert.equal(admin.status, 303, 'the correct key is never refused');
      assert.ok(
        results.every((r) => r.cookie === ''),
        'no wrong key got a session',
      );
      const refused = results.filter((r) => r.status === 429).length;
      assert.ok(refused >= 20, `failures past the pending cap are answered 429 at once (${refused} of 30)`);
      assert.ok(results.every((r) => r.status === 429 || r.failed));
    } finally {
      await t.close();
    }
  },
);

test('X-Forwarded-For is ignored unless the peer is a trusted proxy', async () => {
  const t = await gateway({}, HELD);
  try {
    // Every request comes from 127.0.0.1: a spoofed header does not give the attacker fresh addresses.
    const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => login(t, `guess-${i}`, `203.0.113.${i}`)));
    assert.ok(flood.filter((r) => r.status === 429).length >= 10, 'all attempts count against one address');
  } finally {
    await t.close();
  }
});

test(
  'behind a trusted proxy each client has its own address: ' + "an attacker's failures do not slow the admin's typo",
  async () => {
    const t = await gateway({ server: { trustedProxies: ['127.0.0.1', '::1'] } }, HELD);
    try {
      const flood = Promise.all(Array.from({ length: 20 }, (_, i) => login(t, `guess-${i}`, '203.0.113.66')));
      const typo = await login(t, 'admin-typo', '198.51.100.7');
      assert.equal(typo.status, 200, "the admin's own failure is not refused for the attacker's");
      assert.ok(typo.failed);
      const ok = await login(t, ADMIN, '198.51.100.7');
      assert.equal(ok.status, 303);
      const attacker = await flood;
      assert.ok(attacker.filter((r) => r.status === 429).length >= 10);
    } finally {
      await t.close();
    }
  },
);

test('clientAddressResolver: right-most untrusted hop, CIDR ranges, IPv4-mapped peers, garbage', () => {
  const req = (peer: string, xff?: string | string[]) =>
    ({
      socket: { remoteAddress: peer },
      headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    }) as unknown as IncomingMessage;
  const none = clientAddressResolver([]);
  assert.equal(none(req('::ffff:10.0.0.1', '1.2.3.4')), '10.0.0.1', 'no trusted proxies: the peer, header ignored');
  const r = clientAddressResolver(['10.0.0.0/8', '::1']);
  assert.equal(r(req('10.1.1.1', '198.51.100.7')), '198.51.100.7');
  assert.equal(
    r(req('::ffff:10.1.1.1', '6.6.6.6, 198.51.100.7, 10.2.2.2')),
    '198.51.100.7',
    'spoofed left entries are not believed',
  );
  assert.equal(r(req('::1', ['6.6.6.6', '198.51.100.7:4431'])), '198.51.100.7', 'several headers; a port is dropped');
  assert.equal(r(req('::1', '[2001:db8::5]:443')), '2001:db8::5');
  assert.equal(r(req('192.0.2.1', '198.51.100.7')), '192.0.2.1', 'an untrusted peer: its own address');
  assert.equal(r(req('10.1.1.1', 'not-an-ip')), '10.1.1.1', 'garbage: the peer');
  assert.equal(r(req('10.1.1.1', '10.3.3.3, 10.4.4.4')), '10.3.3.3', 'all trusted: the left-most');
  assert.equal(r(req('10.1.1.1')), '10.1.1.1');
});

test('server.trustedProxies is validated at boot', async () => {
  await assert.rejects(
    createGateway({ providers: [mock()], server: { trustedProxies: ['10.0.0.0/33'] } }),
    (e: Error) => e instanceof ConfigError && /server\.trustedProxies\[0\]/.test(e.message),
  );
  await assert.rejects(
    createGateway({ providers: [mock()], server: { trustedProxies: ['proxy.local'] } }),
    ConfigError,
  );
});

test('LoginBackoff: the delay doubles per failure up to the cap, decays after the window, and is per address', () => {
  const b = new LoginBackoff({ baseMs: 100, maxMs: 800, windowMs: 60_000, maxPending: 2 });
  const delays = [];
  for (let i = 0; i < 6; i++) delays.push(b.fail('a', i));
  assert.deepEqual(delays, [100, 200, 400, 800, 800, 800]);
  assert.equal(b.fail('b', 10), 100, 'per address');
  assert.equal(b.fail('a', 70_000), 100, 'the count starts over after a quiet window');
  assert.equal(b.hold('a'), true);
  assert.equal(b.hold('a'), true);
  assert.equal(b.hold('a'), false, 'no more than maxPending failures held at once');
  b.release('a');
  assert.equal(b.hold('a'), true);
});
