/**
 * The `guardrail.verdict` audit event: one per request where a policy fired, for the audit hook (the
 * export plugin publishes it). Ids, rule ids, actions, phases and counts; never the matched text.
 */
import type { AuditEvent } from '../../core/hooks.js';
import type { GuardrailVerdict, UsageRecord } from '../../core/usage.js';
import type { GuardrailAction } from './types.js';

const RANK: Record<GuardrailAction, number> = { block: 3, redact: 2, flag: 1, log: 0 };

/** The strongest action among the verdicts (block > redact > flag > log). */
export function strongest(verdicts: readonly GuardrailVerdict[]): GuardrailAction {
  let action: GuardrailAction = 'log';
  for (const v of verdicts) if (RANK[v.action] > RANK[action]) action = v.action;
  return action;
}

const distinct = (values: string[]) => [...new Set(values)].sort();

export function verdictEvent(record: UsageRecord, verdicts: readonly GuardrailVerdict[]): AuditEvent {
  const event: AuditEvent = { type: 'guardrail.verdict', time: Date.now(), requestId: record.requestId };
  if (record.principalId) event.keyId = record.principalId;
  if (record.project) event.project = record.project;
  if (record.shadow) event.shadow = true;
  return Object.assign(event, {
    model: record.requestedModel,
    status: record.status,
    action: strongest(verdicts),
    phases: distinct(verdicts.map((v) => v.phase)),
    count: verdicts.reduce((n, v) => n + v.count, 0),
    rules: distinct(verdicts.map((v) => v.rule)),
    policies: distinct(verdicts.map((v) => v.policy)),
    verdicts: verdicts.map((v) => ({ ...v })),
  });
}
