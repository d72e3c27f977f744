/**
 * Exported events: CloudEvents 1.0 in structured JSON mode. `id` is made once when the event is
 * created and kept through every retry, so a broker (JetStream msgID, AMQP message-id) or a consumer
 * can drop the duplicates that at-least-once delivery allows. Metadata only: a usage event carries
 * the meter record (ids, models, tokens, cost, latency, status), never prompt or answer text or a key.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../core/hooks.js';
import type { UsageRecord } from '../../core/usage.js';

export interface ExportEvent {
  specversion: '1.0';
  id: string;
  source: string;
  /** `switchyard.usage`, `switchyard.key.created`, `switchyard.budget.threshold`, ... */
  type: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export const TYPE_PREFIX = 'switchyard.';

export function usageEvent(record: UsageRecord, source: string): ExportEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: `${TYPE_PREFIX}usage`,
    time: new Date(record.time).toISOString(),
    datacontenttype: 'application/json',
    data: { ...record },
  };
}

export function auditEvent(event: AuditEvent, source: string): ExportEvent {
  const { type, time, ...data } = event;
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: `${TYPE_PREFIX}${type}`,
    time: new Date(time).toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

/** `switchyard.key.created` -> `<prefix>.key.created`: the NATS subject or AMQP routing key. */
export function topicOf(event: ExportEvent, prefix: string): string {
  const kind = event.type.startsWith(TYPE_PREFIX) ? event.type.slice(TYPE_PREFIX.length) : event.type;
  return `${prefix}.${kind.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
