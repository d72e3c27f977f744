/**
 * The semantic tier's optional verifier through HTTP with the openai client, against the emulated
 * OpenAI upstream scripted as a yes/no judge: asked only when the guard cannot settle a candidate,
 * verdicts cached, hard refusals never asked, a latency cap after which the lookup is a miss, and
 * the question itself metered and charged to the caller's budget (it runs through the pipeline).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openai, type Plugin, type UsageRecord } from '../../index.js';
import { cache, type CachePlugin } from '../../plugins/cache/index.js';
import { VERIFIER_SYSTEM } from '../../plugins/cache/verifier.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { startOpenAIEmulator, type OpenAIEmulator } from '../emulators/openai.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startEnv } from '../governance/helpers.js';

/** The judge's verdict per incoming request (request B); anything not listed: "no". */
const verdicts = new Map<string, string>([
  ['Remove all files older than 30 days in Linux', 'Yes'],
  ['How do I revert the last commit in Git?', 'yes.'],
  ['Raise the volume by 20%', 'No, they differ.'],
]);
const judge = (body: ChatCompletionRequest) => {
  if (body.messages[0]?.content !== VERIFIER_SYSTEM) return undefined;
  const user = String(body.messages[1].content);
  const b = /Request B:\n<<<\n([\s\S]*?)\n>>>/.exec(user)?.[1] ?? '';
  return verdicts.get(b) ?? 'no';
};

let emu: OpenAIEmulator;
let t: TestGateway;
let plugin: CachePlugin;
const records: UsageRecord[] = [];
const recorder: Plugin = {
  name: 'test-recorder',
  apply(gw) {
    gw.hooks.meter.tapPromise({ name: 'test-recorder', stage: gw.Stage.LAST }, async (r) => {
      records.push({ ...r });
    });
  },
};
const settle = () => new Promise((r) => setTimeout(r, 30));
const verifierCalls = () => emu.requests.filter((r) => r.body?.messages?.[0]?.content === VERIFIER_SYSTEM);

before(async () => {
  emu = await startOpenAIEmulator({ chat: judge });
  plugin = cache({ semantic: { verifier: { model: 'gpt-4o-mini', timeoutMs: 3000 } } });
  t = await startGateway(
    {
      providers: [openai({ apiKey: 'test-key', baseURL: emu.url })],
      auth: { keys: [{ id: 'a', key: 'key-for-team-a', project: 'team-a' }] },
      plugins: [plugin, recorder],
    },
    'key-for-team-a',
  );
});
after(async () => {
  await t.close();
  await emu.close();
});

const ask = (content: string) =>
  t.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }).withResponse();
const status = (r: { response: Response }) => r.response.headers.get('x-switchyard-cache');

test('a lexical-only refusal goes to the verifier: "yes" serves the cached answer; the verdict is kept', async () => {
  const first = await ask('Delete all files older than 30 days in Linux');
  assert.equal(status(first), 'miss');
  await settle();
  const upstream = emu.requests.length;
  const hit = await ask('Remove all files older than 30 days in Linux');
  assert.equal(status(hit), 'semantic-hit');
  assert.equal(hit.response.headers.get('x-switchyard-cache-verified'), 'yes');
  assert.equal(hit.data.choices[0].message.content, first.data.choices[0].message.content);
  const asked = verifierCalls();
  assert.equal(asked.length, 1);
  assert.equal(emu.requests.length, upstream + 1, 'one upstream call: the verifier, not the answer');
  // the strict question: the two prompts, a yes/no instruction, deterministic and short
  const q = asked[0].body;
  assert.equal(q.model, 'gpt-4o-mini');
  assert.equal(q.temperature, 0);
  assert.ok(q.max_tokens <= 2);
  assert.match(q.messages[1].content, /Request A:\n<<<\nDelete all files older than 30 days in Linux\n>>>/);
  assert.match(q.messages[1].content, /Request B:\n<<<\nRemove all files older than 30 days in Linux\n>>>/);
  // its own meter record, for the caller's key, priced
  await eventually(() => records.some((r) => r.requestId.endsWith(':cache-verify')));
  const rec = records.find((r) => r.requestId.endsWith(':cache-verify'))!;
  assert.equal(rec.principalId, 'a');
  assert.equal(rec.model, 'gpt-4o-mini');
  assert.equal(rec.status, 200);
  assert.ok(rec.totalTokens > 0 && (rec.costUsd ?? 0) > 0);
  // the same question again: the kept verdict answers, no new call
  const again = await ask('Remove all files older than 30 days in Linux');
  assert.ok(status(again) === 'hit' || status(again) === 'semantic-hit');
  assert.equal(verifierCalls().length, 1);
  const v = plugin.stats().semantic!.verifier!;
  assert.equal(v.yes, 1);
});

test('a "no" (or anything but yes) is a miss; hard refusals never reach the verifier', async () => {
  await ask('Increase the volume by 20%');
  await settle();
  const before = verifierCalls().length;
  const no = await ask('Raise the volume by 20%');
  assert.equal(status(no), 'miss');
  assert.equal(verifierCalls().length, before + 1);
  // numbers, negation, entities and roles are final: no question asked
  for (const p of ['Increase the volume by 30%', "Don't increase the volume by 20%", 'Increase the volume to 20%']) {
    assert.equal(status(await ask(p)), 'miss', p);
  }
  assert.equal(verifierCalls().length, before + 1);
  const s = plugin.stats();
  assert.equal(s.semantic!.verifier!.no, 1);
  assert.equal(s.all.verifier.no, 1);
});

test('past its latency cap the verifier is abandoned: a miss, the upstream call aborted, metered as 504', async () => {
  const slow = cache({ semantic: { verifier: { model: 'openai/hang', timeoutMs: 150 } } });
  const local: UsageRecord[] = [];
  const rec: Plugin = {
    name: 'rec',
    apply(gw) {
      gw.hooks.meter.tap({ name: 'rec', stage: gw.Stage.LAST }, (r) => {
        local.push({ ...r });
      });
    },
  };
  const g = await startGateway({ providers: [openai({ apiKey: 'test-key', baseURL: emu.url })], plugins: [slow, rec] });
  try {
    const q = (content: string) =>
      g.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }).withResponse();
    await q('How do I undo the last commit in Git?');
    await settle();
    const t0 = Date.now();
    const r = await q('How do I revert the last commit in Git?');
    assert.equal(r.response.headers.get('x-switchyard-cache'), 'miss');
    assert.ok(Date.now() - t0 < 2500, 'the cap bounds the wait');
    await eventually(() => local.some((x) => x.requestId.endsWith(':cache-verify')));
    const v = local.find((x) => x.requestId.endsWith(':cache-verify'))!;
    assert.equal(v.status, 504);
    assert.equal(v.errorCode, 'cache_verifier_timeout');
    await eventually(() => emu.aborted.some((a) => a.body?.model === 'hang'));
    assert.equal(slow.stats().semantic!.verifier!.failed, 1);
  } finally {
    await g.close();
  }
});

test("the verifier's cost is charged to the caller's budget (governance)", async () => {
  const KEY = 'sk-verifier-budget-key-0000001';
  const env = await startEnv(
    { keys: [{ id: 'judge-payer', key: KEY, budgets: [{ limitUsd: 5, period: 'month' }] }] },
    {
      cache: { semantic: { verifier: { model: 'gpt-4o-mini' } } },
    },
    { emu },
  );
  try {
    const client = env.client(KEY);
    const spent = async () =>
      (await env.admin('GET', '/admin/budgets')).json.data.find((b: any) => b.scope === 'key' && b.id === 'judge-payer')
        .spentUsd as number;
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Delete all files older than 30 days in Linux' }],
    });
    let afterMiss = 0;
    for (const end = Date.now() + 3000; afterMiss === 0 && Date.now() < end; ) {
      afterMiss = await spent();
      if (!afterMiss) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(afterMiss > 0);
    const before = verifierCalls().length;
    const hit = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Remove all files older than 30 days in Linux' }],
      })
      .withResponse();
    assert.equal(hit.response.headers.get('x-switchyard-cache'), 'semantic-hit');
    assert.equal(verifierCalls().length, before + 1);
    // the hit itself costs nothing; the verifier's call does, on the same key's budget
    const deadline = Date.now() + 3000;
    while ((await spent()) <= afterMiss && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await spent()) > afterMiss, 'the verifier call was charged to the key');
  } finally {
    await env.close();
  }
});
