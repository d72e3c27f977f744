/**
 * RabbitMQ sink (amqplib, loaded when configured): a confirm channel; each event is published
 * persistent with its id as the AMQP `message-id`, and counts as delivered once the broker confirmed
 * it (publisher confirms). Either to a durable queue through the default exchange (`queue`), or to a
 * durable exchange with the routing key `<routingKeyPrefix>.<kind>` (`exchange`). amqplib does not
 * reconnect by itself: a lost connection or channel is dropped and made anew on the next publish;
 * unconfirmed events are re-published with the same message-id (consumers dedupe by it).
 */
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { topicOf, type ExportEvent } from './events.js';
import { settled, type PublishResult, type Sink } from './queue.js';
import type { AmqpSinkOptions } from './types.js';

interface Link {
  conn: ChannelModel;
  ch: ConfirmChannel;
}

export class AmqpSink implements Sink {
  readonly name = 'rabbitmq';
  #link: Promise<Link> | undefined;
  #closed = false;

  constructor(
    private readonly o: AmqpSinkOptions,
    private readonly log: Logger,
  ) {}

  #connect(): Promise<Link> {
    this.#link ??= (async () => {
      const amqp = await import('amqplib');
      const conn = await amqp.connect(this.o.url, { timeout: this.o.connectTimeoutMs ?? 2000 });
      const drop = (what: string) => (err?: Error) => {
        this.#link = undefined;
        if (!this.#closed && err) this.log.warn({ err: { message: err.message } }, `export: RabbitMQ ${what} lost`);
      };
      conn.on('error', drop('connection'));
      conn.on('close', drop('connection'));
      try {
        const ch = await conn.createConfirmChannel();
        ch.on('error', drop('channel'));
        ch.on('close', () => {
          this.#link = undefined;
          conn.close().catch(() => undefined);
        });
        if (this.o.queue) await ch.assertQueue(this.o.queue, { durable: true });
        if (this.o.exchange)
          await ch.assertExchange(this.o.exchange, this.o.exchangeType ?? 'topic', { durable: true });
        return { conn, ch };
      } catch (e) {
        await conn.close().catch(() => undefined);
        throw e;
      }
    })().catch((e) => {
      this.#link = undefined;
      throw e;
    });
    return this.#link;
  }

  async publish(batch: ExportEvent[]): Promise<PublishResult> {
    const { ch } = await this.#connect();
    const exchange = this.o.exchange ?? '';
    const prefix = this.o.routingKeyPrefix ?? 'switchyard';
    const timeoutMs = this.o.confirmTimeoutMs ?? 10_000;
    const confirms: Array<Promise<void>> = [];
    for (const e of batch) {
      const key = this.o.exchange ? topicOf(e, prefix) : this.o.queue!;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          // A confirm that never comes (connection cut mid-flight) counts as a failure after timeoutMs.
          const timer = setTimeout(() => reject(new Error('no publisher confirm in time')), timeoutMs);
          timer.unref();
          try {
            const room = ch.publish(
              exchange,
              key,
              Buffer.from(JSON.stringify(e)),
              {
                messageId: e.id,
                type: e.type,
                contentType: 'application/cloudevents+json',
                persistent: true,
                timestamp: Math.floor(Date.parse(e.time) / 1000),
                appId: 'switchyard',
              },
              (err) => {
                clearTimeout(timer);
                if (err) reject(err instanceof Error ? err : new Error(String(err)));
                else resolve();
              },
            );
            void room; // the batch is bounded (batchSize); confirms pace the next one
          } catch (err) {
            clearTimeout(timer);
            reject(err as Error);
          }
        }),
      );
    }
    return settled(await Promise.allSettled(confirms), 'RabbitMQ');
  }

  async close(): Promise<void> {
    this.#closed = true;
    const link = await this.#link?.catch(() => undefined);
    await link?.ch.close().catch(() => undefined);
    await link?.conn.close().catch(() => undefined);
  }
}
