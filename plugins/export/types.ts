/** Options of the `export` plugin. See docs/observability.md#event-export. */

export interface NatsSinkOptions {
  /** e.g. "nats://127.0.0.1:4222" or several. */
  servers: string | string[];
  /** Subjects are `<subjectPrefix>.usage`, `<subjectPrefix>.key.created`, ... Default "switchyard". */
  subjectPrefix?: string;
  /**
   * JetStream stream capturing `<subjectPrefix>.>`: created with this name when it does not exist.
   * Without it, a stream must already capture the subjects (else every publish fails and is retried).
   */
  stream?: string;
  /** Duplicate window of a stream we create (msgID dedup). Default 120 000 ms (JetStream's default). */
  duplicateWindowMs?: number;
  user?: string;
  pass?: string;
  token?: string;
  /** Wait for JetStream's ack. Default 5000 ms. */
  ackTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface AmqpSinkOptions {
  /** amqp://user:pass@host:5672/vhost (amqps:// for TLS). */
  url: string;
  /** Publish to this durable queue (through the default exchange)... */
  queue?: string;
  /** ...or to this durable exchange with routing key `<routingKeyPrefix>.<kind>`. */
  exchange?: string;
  /** Type of the exchange we assert. Default "topic". */
  exchangeType?: 'topic' | 'direct' | 'fanout' | 'headers';
  /** Default "switchyard". */
  routingKeyPrefix?: string;
  /** Wait for a publisher confirm. Default 10 000 ms. */
  confirmTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface HttpSinkOptions {
  /** https://... (http:// only to a loopback host). */
  url: string;
  /** HMAC-SHA256 secret: `x-switchyard-signature: sha256=<hex>` over the body. */
  secret?: string;
  /** Extra request headers (e.g. an API key of the receiver). */
  headers?: Record<string, string>;
  /** Per batch. Default 10 000 ms. */
  timeoutMs?: number;
}

export interface ExportOptions {
  /** Which events. Default: both. */
  usage?: boolean;
  audit?: boolean;
  /** CloudEvents `source` (e.g. this instance's name). Default "switchyard". */
  source?: string;
  nats?: NatsSinkOptions;
  rabbitmq?: AmqpSinkOptions;
  http?: HttpSinkOptions;
  /**
   * Events kept in memory per sink while it is unreachable; beyond, new events are dropped and counted.
   * Default 10 000.
   */
  maxBuffered?: number;
  /** Events per publish. Default 100. */
  batchSize?: number;
  /** A batch leaves at least this often. Default 200 ms. */
  flushIntervalMs?: number;
  /** Retry delay while a sink fails: first, doubled per failure, capped. Default 200 / 5000 ms. */
  retryMs?: number;
  maxRetryMs?: number;
  /** At shutdown, keep delivering for at most this long. Default 5000 ms. */
  shutdownTimeoutMs?: number;
}

const posInt = { type: 'integer', minimum: 1 };
const name = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' };
const prefix = { type: 'string', pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', maxLength: 128 };

export const exportSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    usage: { type: 'boolean' },
    audit: { type: 'boolean' },
    source: { type: 'string', minLength: 1, maxLength: 256 },
    nats: {
      type: 'object',
      additionalProperties: false,
      required: ['servers'],
      properties: {
        servers: {
          anyOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          ],
        },
        subjectPrefix: prefix,
        stream: name,
        duplicateWindowMs: posInt,
        user: { type: 'string' },
        pass: { type: 'string' },
        token: { type: 'string' },
        ackTimeoutMs: posInt,
        connectTimeoutMs: posInt,
      },
    },
    rabbitmq: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^amqps?://' },
        queue: { type: 'string', minLength: 1, maxLength: 255 },
        exchange: { type: 'string', minLength: 1, maxLength: 255 },
        exchangeType: { enum: ['topic', 'direct', 'fanout', 'headers'] },
        routingKeyPrefix: prefix,
        confirmTimeoutMs: posInt,
        connectTimeoutMs: posInt,
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        secret: { type: 'string', minLength: 16 },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        timeoutMs: posInt,
      },
    },
    maxBuffered: posInt,
    batchSize: posInt,
    flushIntervalMs: posInt,
    retryMs: posInt,
    maxRetryMs: posInt,
    shutdownTimeoutMs: { type: 'integer', minimum: 0 },
  },
};
