import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { createGateway } from '../../index.js';
import config from './switchyard.config.js';
import { piiRedactor } from './pii-redactor.js';

test('the custom plugin masks PII before any provider sees it', async () => {
  const gw = await createGateway({ ...config, logging: { level: 'silent' } });
  const { url } = await gw.listen({ port: 0 });
  try {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // The mock echoes what it received, so the answer shows what the provider saw.
    const { data, response } = await client.chat.completions
      .create({
        model: 'mock-small',
        messages: [{ role: 'user', content: 'echo: mail jane.doe@example.com or call +1 (555) 010-9999' }],
      })
      .withResponse();
    assert.equal(data.choices[0].message.content, 'mail <redacted email> or call [phone]');
    assert.equal(response.headers.get('x-pii-redacted'), '2');
    const clean = await client.chat.completions
      .create({ model: 'mock-small', messages: [{ role: 'user', content: 'echo: nothing here' }] })
      .withResponse();
    assert.equal(clean.response.headers.get('x-pii-redacted'), '0');
  } finally {
    await gw.close();
  }
});

test('its options are validated at boot', async () => {
  await assert.rejects(
    createGateway({ ...config, plugins: [piiRedactor({ roles: ['robot' as never] })], logging: { level: 'silent' } }),
    /Plugin "pii-redactor": option "roles\[0\]" must be one of "user"/,
  );
});
