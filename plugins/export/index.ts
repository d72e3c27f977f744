/**
 * The `export` plugin: usage records (the meter's metadata-only record, one per request) and audit
 * events (keys created, updated and revoked, budget alerts, spend spikes, guardrail verdicts from
 * plugins that emit them) published as CloudEvents to NATS JetStream, RabbitMQ and/or an HTTPS batch
 * endpoint. Per sink: batches, a bounded buffer while the sink is down (loss beyond it counted),
 * at-least-once with a stable event id. Off unless listed in `plugins`; broker clients load only
 * for the sinks configured. See docs/observability.md#event-export.
 */
import { isLoopback } from '../../core/config.js';
import { definePlugin, type Plugin } from '../../core/plugin.js';
import { auditEvent, usageEvent } from './events.js';
import { SinkQueue, type Sink, type SinkStats } from './queue.js';
import { exportSchema, type ExportOptions } from './types.js';

export type { ExportOptions, NatsSinkOptions, AmqpSinkOptions, HttpSinkOptions } from './types.js';
export type { ExportEvent } from './events.js';
export type { SinkStats } from './queue.js';

export interface ExportPlugin extends Plugin {
  /** Per sink: up, buffered, published, dropped, failures. */
  stats(): SinkStats[];
  /** Wait until every event queued so far is confirmed (or the time runs out); true when all are. */
  flush(timeoutMs?: number): Promise<boolean>;
}

export function eventExport(options: ExportOptions): ExportPlugin {
  let queues: SinkQueue[] = [];
  const base = definePlugin<ExportOptions>({
    name: 'export',
    schema: exportSchema,
    async apply(gateway, o) {
      if (!o.nats && !o.rabbitmq && !o.http)
        throw new Error('Plugin "export": configure at least one sink: nats, rabbitmq or http.');
      if (o.http) {
        const u = new URL(o.http.url);
        if (u.protocol !== 'https:' && !isLoopback(u.hostname)) {
          throw new Error(
            'Plugin "export": option "http.url" must be https:// (http:// only to a loopback host), ' +
              `got "${u.protocol}//${u.host}".`,
          );
        }
      }
      const sinks: Sink[] = [];
      if (o.nats) sinks.push(new (await import('./nats.js')).NatsSink(o.nats, gateway.log));
      if (o.rabbitmq) {
        if (Boolean(o.rabbitmq.queue) === Boolean(o.rabbitmq.exchange))
          throw new Error('Plugin "export": option "rabbitmq" needs exactly one of `queue` or `exchange`.');
        sinks.push(new (await import('./amqp.js')).AmqpSink(o.rabbitmq, gateway.log));
      }
      if (o.http) sinks.push(new (await import('./http-sink.js')).HttpSink(o.http));
      const q = {
        maxBuffered: o.maxBuffered ?? 10_000,
        batchSize: o.batchSize ?? 100,
        flushIntervalMs: o.flushIntervalMs ?? 200,
        retryMs: o.retryMs ?? 200,
        maxRetryMs: o.maxRetryMs ?? 5000,
      };
      queues = sinks.map((s) => new SinkQueue(s, q, gateway.log));
      const source = o.source ?? 'switchyard';
      const push = (e: ReturnType<typeof usageEvent>) => {
        for (const queue of queues) queue.push(e);
      };

      if (o.usage !== false) {
        gateway.hooks.meter.tap({ name: 'export', stage: gateway.Stage.LAST }, (record) =>
          push(usageEvent(record, source)),
        );
      }
      if (o.audit !== false) gateway.hooks.audit.tap('export', (event) => push(auditEvent(event, source)));

      // Loss is visible without taking the instance out of rotation: a broker outage is not ours.
      gateway.readiness.add('export', () => ({ ready: true, sinks: queues.map((x) => x.stats) }));
      gateway.hooks.close.tapPromise('export', async () => {
        await Promise.all(queues.map((x) => x.close(o.shutdownTimeoutMs ?? 5000)));
      });
    },
  })(options);
  return {
    ...base,
    stats: () => queues.map((x) => x.stats),
    flush: async (timeoutMs = 10_000) => (await Promise.all(queues.map((x) => x.flush(timeoutMs)))).every(Boolean),
  };
}
