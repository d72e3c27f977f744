/**
 * Input checks, before anything is sent: text checks over the request's segments (block refuses,
 * redact masks, flag/log record), then remote checks on the masked text (so no remote service sees a
 * masked value either). Masking is reversible for policies with `restore` (the default): the values
 * go into the request's vault and come back in the answer.
 */
import type { ChatContext } from '../../core/context.js';
import type { ChatCompletionRequest } from '../../core/types.js';
import { resolveOverlaps, type Match } from './checks/match.js';
import { RemoteCheckError } from './checks/remote.js';
import type { CompiledPolicy } from './policy.js';
import { replaceSpans, requestSegments, withSegments, type Segment } from './text.js';
import { blocked, record, unavailable, type GuardState } from './verdicts.js';
import { Vault } from './vault.js';

interface Mask extends Match {
  restore: boolean;
}

const reads = (p: CompiledPolicy, checkRoles: ReadonlySet<string> | undefined, s: Segment) => {
  const roles = p.roles ?? checkRoles;
  return !roles || roles.has(s.role);
};

export async function guardInput(
  state: GuardState,
  request: ChatCompletionRequest,
  ctx: ChatContext,
): Promise<ChatCompletionRequest> {
  const policies = state.policies.filter((p) => p.input);
  if (!policies.length) return request;
  const segments = requestSegments(request);
  const masks = new Map<number, Mask[]>();
  let refusal: { policy: string; rule: string } | undefined;

  for (const p of policies) {
    for (const check of p.text) {
      segments.forEach((s, i) => {
        if (!reads(p, check.roles, s)) return;
        const found = check.find(s.text);
        if (!found.length) return;
        for (const m of found) record(state, p.id, m.rule, p.action, 'input');
        if (p.action === 'block') refusal ??= { policy: p.id, rule: found[0].rule };
        else if (p.action === 'redact') {
          const list = masks.get(i) ?? [];
          for (const m of found) list.push({ ...m, restore: p.restore });
          masks.set(i, list);
        }
      });
    }
  }
  if (refusal) throw blocked(refusal.policy, refusal.rule, 'input');

  let out = request;
  const texts = segments.map((s) => s.text);
  if (masks.size) {
    const vault = new Vault(texts.join('\n'));
    const replaced: Array<{ segment: Segment; text: string }> = [];
    for (const [i, list] of masks) {
      const spans = resolveOverlaps(list) as Mask[];
      const s = segments[i];
      texts[i] = replaceSpans(s.text, spans, (k) => {
        const m = spans[k];
        return m.restore ? vault.placeholder(m.label, s.text.slice(m.start, m.end)) : `[${m.label}]`;
      });
      replaced.push({ segment: s, text: texts[i] });
    }
    if (vault.size) state.vault = vault;
    out = withSegments(request, replaced);
  }

  const remote = policies.filter((p) => p.remote.length);
  if (remote.length) {
    const failures: Array<{ policy: string; reason: string }> = [];
    const refusals: Array<{ policy: string; rule: string }> = [];
    await Promise.all(
      remote.flatMap((p) =>
        p.remote.map(async (check) => {
          const input = segments.flatMap((s, i) => (reads(p, undefined, s) ? [texts[i]] : []));
          let rules: string[];
          try {
            rules = await check.run(input, { ctx, phase: 'input', policy: p.id });
          } catch (e) {
            if (!(e instanceof RemoteCheckError)) throw e;
            record(state, p.id, `${check.type}.unavailable`, p.failClosed ? 'block' : 'log', 'input');
            if (p.failClosed) failures.push({ policy: p.id, reason: e.message });
            return;
          }
          for (const rule of rules) record(state, p.id, rule, p.action, 'input');
          if (rules.length && p.action === 'block') refusals.push({ policy: p.id, rule: rules[0] });
        }),
      ),
    );
    if (refusals.length) throw blocked(refusals[0].policy, refusals[0].rule, 'input');
    if (failures.length) throw unavailable(failures[0].policy, failures[0].reason);
  }
  return out;
}
