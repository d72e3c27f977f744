/** Plugin dependencies are checked at boot: a missing or later dependency is a clear boot error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGateway, dashboard, definePlugin, mock, PluginDependencyError } from '../../index.js';

const quiet = { logging: { level: 'silent' as const } };

test('the dashboard without governance does not boot, and says what to add', async () => {
  await assert.rejects(createGateway({ providers: [mock()], plugins: [dashboard()], ...quiet }), (e: unknown) => {
    assert.ok(e instanceof PluginDependencyError);
    assert.match(
      (e as Error).message,
      /^Plugin "dashboard" needs the "governance" plugin, which is not installed\. Add/,
    );
    return true;
  });
});

test('the dashboard with governance boots', async () => {
  const gw = await createGateway({
    providers: [mock()],
    governance: { adminKey: 'dep-test-admin-key-0123', ledger: { path: ':memory:' } },
    plugins: [dashboard()],
    ...quiet,
  });
  await gw.close();
});

test('a dependency listed after the plugin that needs it is refused; before it, accepted', async () => {
  const applied: string[] = [];
  const base = definePlugin({
    name: 'base',
    apply() {
      applied.push('base');
    },
  });
  const user = definePlugin({
    name: 'user',
    dependencies: ['base'],
    apply() {
      applied.push('user');
    },
  });
  await assert.rejects(
    createGateway({ providers: [mock()], plugins: [user(), base()], ...quiet }),
    /Plugin "user" needs the "base" plugin applied before it, but it comes after\. List "base" before "user"/,
  );
  assert.deepEqual(applied, [], 'nothing is applied when a dependency is wrong');
  const gw = await createGateway({ providers: [mock()], plugins: [base(), user()], ...quiet });
  await gw.close();
  assert.deepEqual(applied, ['base', 'user']);
});
