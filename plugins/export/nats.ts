/**
 * NATS JetStream sink (@nats-io/transport-node + @nats-io/jetstream, loaded when configured). Each
 * event is published to `<subjectPrefix>.<kind>` with its id as the JetStream msgID, so the stream
 * drops a re-publish within its duplicate window; an event counts as delivered once JetStream acked
 * it (a duplicate ack included). The client reconnects by itself; a publish that gets no ack in time
 * is retried by the queue with the same id.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { topicOf, type ExportEvent } from './events.js';
import { settled, type PublishResult, type Sink } from './queue.js';
import type { NatsSinkOptions } from './types.js';

const TWO_MINUTES = 120_000;

export class NatsSink implements Sink {
  readonly name = 'nats';
  #conn: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  #closed = false;

  constructor(
    private readonly o: NatsSinkOptions,
    private readonly log: Logger,
  ) {}

  get prefix(): string {
    return this.o.subjectPrefix ?? 'switchyard';
  }

  #connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    this.#conn ??= (async () => {
      const { connect, nanos } = await import('@nats-io/transport-node');
      const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
      const nc = await connect({
        servers: this.o.servers,
        name: 'switchyard-export',
        user: this.o.user,
        pass: this.o.pass,
        token: this.o.token,
        timeout: this.o.connectTimeoutMs ?? 2000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      // The connection closes for good only on close() or a fatal error (e.g. auth): connect anew next time.
      void nc.closed().then((err) => {
        this.#conn = undefined;
        if (err && !this.#closed) this.log.warn({ err: { message: err.message } }, 'export: NATS connection closed');
      });
      if (this.o.stream) {
        const jsm = await jetstreamManager(nc);
        const subjects = [`${this.prefix}.>`];
        try {
          await jsm.streams.info(this.o.stream);
        } catch {
          await jsm.streams.add({
            name: this.o.stream,
            subjects,
            duplicate_window: nanos(this.o.duplicateWindowMs ?? TWO_MINUTES),
          });
          this.log.info({ stream: this.o.stream, subjects }, 'export: JetStream stream created');
        }
      }
      return { nc, js: jetstream(nc, { timeout: this.o.ackTimeoutMs ?? 5000 }) };
    })().catch((e) => {
      this.#conn = undefined;
      throw e;
    });
    return this.#conn;
  }

  async publish(batch: ExportEvent[]): Promise<PublishResult> {
    const { js } = await this.#connect();
    const timeout = this.o.ackTimeoutMs ?? 5000;
    return settled(
      await Promise.allSettled(
        batch.map((e) => js.publish(topicOf(e, this.prefix), JSON.stringify(e), { msgID: e.id, timeout })),
      ),
      'NATS',
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    const c = await this.#conn?.catch(() => undefined);
    await c?.nc.drain().catch(() => c.nc.close());
  }
}
