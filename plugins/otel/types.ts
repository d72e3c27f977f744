/** Options of the `otel` plugin. See docs/observability.md. */
import type { TracerProvider } from '@opentelemetry/api';

export interface OtelOptions {
  /**
   * Use this tracer provider (library mode, tests). Without it, `provider` decides.
   */
  tracerProvider?: TracerProvider;
  /**
   * 'auto' (default): the global provider when the host application registered one, else our own;
   * 'global': the host's global provider (boot fails without one); 'own': always our own.
   */
  provider?: 'auto' | 'global' | 'own';
  /**
   * Our own provider's OTLP exporter. Default HTTP/protobuf; endpoint and headers default to
   * OTEL_EXPORTER_OTLP_* env.
   */
  exporter?: {
    protocol?: 'http/protobuf' | 'grpc';
    /** e.g. http://collector:4318/v1/traces (HTTP) or http://collector:4317 (gRPC). From configuration only. */
    endpoint?: string;
    /** Sent with every export (HTTP headers or gRPC metadata), e.g. an API key of the tracing backend. */
    headers?: Record<string, string>;
    /** Per export. Default 10 000 ms. */
    timeoutMs?: number;
  };
  /** `service.name` of our own provider. Default "switchyard". */
  serviceName?: string;
  /** Extra resource attributes of our own provider (deployment.environment.name, ...). */
  resourceAttributes?: Record<string, string | number | boolean>;
  /**
   * Our own provider's sampler: ratio of new traces kept (default 1); parentBased (default true) follows a
   * client's sampled flag.
   */
  sampler?: { ratio?: number; parentBased?: boolean };
  /** Our own provider's batch span processor. */
  batch?: { maxQueueSize?: number; maxExportBatchSize?: number; scheduledDelayMs?: number; exportTimeoutMs?: number };
  /** Continue the client's trace from its W3C `traceparent`/`tracestate` headers. Default true. */
  acceptTraceparent?: boolean;
  /** Send W3C `traceparent` (and `tracestate`) to upstream providers. Default true. */
  propagate?: boolean;
  /**
   * Opt-in content capture, per the GenAI conventions: gen_ai.system_instructions, gen_ai.input.messages and
   * gen_ai.output.messages (JSON strings) on the request span. Default false: no prompt or answer text
   * ever becomes an attribute. Prompts and answers are often personal data: only turn this on where the
   * tracing backend may hold them.
   */
  captureContent?: boolean;
}

const str = { type: 'string', minLength: 1 };

export const otelSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tracerProvider: { type: 'object' },
    provider: { enum: ['auto', 'global', 'own'] },
    exporter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        protocol: { enum: ['http/protobuf', 'grpc'] },
        endpoint: { type: 'string', pattern: '^https?://' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        timeoutMs: { type: 'integer', minimum: 1 },
      },
    },
    serviceName: str,
    resourceAttributes: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    sampler: {
      type: 'object',
      additionalProperties: false,
      properties: { ratio: { type: 'number', minimum: 0, maximum: 1 }, parentBased: { type: 'boolean' } },
    },
    batch: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxQueueSize: { type: 'integer', minimum: 1 },
        maxExportBatchSize: { type: 'integer', minimum: 1 },
        scheduledDelayMs: { type: 'integer', minimum: 1 },
        exportTimeoutMs: { type: 'integer', minimum: 1 },
      },
    },
    acceptTraceparent: { type: 'boolean' },
    propagate: { type: 'boolean' },
    captureContent: { type: 'boolean' },
  },
};
