/**
 * Per-request guardrail state: the policies that apply, the vault of masked values, and the verdicts
 * (policy, rule id, action, phase, count: never the matched text), which end up on the meter record
 * (and from there in the ledger, /metrics and the log line), on `ctx.state.guardrails`, and in the
 * x-switchyard-guardrails header.
 */
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { GuardrailVerdict } from '../../core/usage.js';
import type { CompiledPolicy } from './policy.js';
import type { GuardrailAction, GuardrailPhase } from './types.js';
import type { Vault } from './vault.js';

export const STATE = 'guardrails';

export interface GuardState {
  /** Policies whose scope matched this request. */
  policies: CompiledPolicy[];
  /** Values masked on input and restored in answers (absent when nothing was masked reversibly). */
  vault?: Vault;
  verdicts: Map<string, GuardrailVerdict>;
}

export const stateOf = (ctx: RequestContext): GuardState | undefined => ctx.state[STATE] as GuardState | undefined;

export function record(
  state: GuardState,
  policy: string,
  rule: string,
  action: GuardrailAction,
  phase: GuardrailPhase,
  count = 1,
): void {
  const key = `${phase}\u0000${policy}\u0000${rule}\u0000${action}`;
  const v = state.verdicts.get(key);
  if (v) v.count += count;
  else state.verdicts.set(key, { policy, rule, action, phase, count });
}

/** The x-switchyard-guardrails header value: "redacted=3; flagged=pii.email,injection.authority" (or undefined). */
export function headerValue(state: GuardState): string | undefined {
  let redacted = 0;
  const flagged = new Set<string>();
  for (const v of state.verdicts.values()) {
    if (v.action === 'redact') redacted += v.count;
    else if (v.action === 'flag') flagged.add(v.rule);
  }
  const parts: string[] = [];
  if (redacted) parts.push(`redacted=${redacted}`);
  if (flagged.size) parts.push(`flagged=${[...flagged].join(',')}`);
  return parts.length ? parts.join('; ') : undefined;
}

export const blocked = (policy: string, rule: string, phase: GuardrailPhase) =>
  new GatewayError(
    400,
    phase === 'input'
      ? `The request was blocked by guardrail policy "${policy}" (rule ${rule}).`
      : `The answer was blocked by guardrail policy "${policy}" (rule ${rule}).`,
    {
      type: 'invalid_request_error',
      code: 'guardrail_blocked',
      param: phase === 'input' ? 'messages' : null,
    },
  );

export const unavailable = (policy: string, reason: string) =>
  new GatewayError(503, `A check of guardrail policy "${policy}" could not run (${reason}); it fails closed.`, {
    type: 'api_error',
    code: 'guardrail_unavailable',
  });
