import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../test/helpers/cli.js';

const env = {
  OPENAI_API_KEY: 'sk-openai-test-000000000000',
  ANTHROPIC_API_KEY: 'sk-ant-test-0000000000000',
  GROQ_API_KEY: 'gsk_test_00000000000000000',
  SWITCHYARD_KEY_WEB: 'sk-web-client-key-0001',
  SWITCHYARD_KEY_BATCH: 'sk-batch-client-key-0002',
};

test('the self-host example config validates and resolves', async () => {
  const r = await runCli(['check', '--config', 'examples/self-host/switchyard.config.ts'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /server:\s+http:\/\/0\.0\.0\.0:4000/);
  assert.match(r.stdout, /- anthropic/);
  assert.match(r.stdout, /smart -> anthropic\/claude-sonnet-4-5 \| openai\/gpt-4\.1/);
  assert.match(r.stdout, /keys:\s+web-app, batch-jobs/);
  for (const secret of Object.values(env)) assert.ok(!r.stdout.includes(secret));
});

test('without its environment the self-host config says which variable is missing', async () => {
  const r = await runCli(['check', '--config', 'examples/self-host/switchyard.config.ts'], {
    OPENAI_API_KEY: 'sk-x-000000000000000000',
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Set SWITCHYARD_KEY_WEB in the environment/);
});
