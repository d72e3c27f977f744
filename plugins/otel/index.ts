/**
 * The `otel` plugin: OpenTelemetry traces of every request with the GenAI semantic conventions, W3C
 * trace context from clients and to upstreams, export over OTLP (HTTP/protobuf or gRPC) or into the
 * host application's tracer provider. Off unless listed in `plugins`; the OpenTelemetry packages are
 * loaded only when it applies. See docs/observability.md.
 */
import { definePlugin, type Plugin } from '../../core/plugin.js';
import { otelSchema, type OtelOptions } from './types.js';

export type { OtelOptions } from './types.js';

export interface OtelPlugin extends Plugin {
  /** Export the spans still queued (our own provider; a no-op for a host's provider). */
  flush(): Promise<void>;
}

export function otel(options: OtelOptions = {}): OtelPlugin {
  let flush: () => Promise<void> = async () => undefined;
  const base = definePlugin<OtelOptions>({
    name: 'otel',
    schema: otelSchema,
    async apply(gateway, o) {
      const { setupTracer } = await import('./setup.js');
      const { RequestTracing } = await import('./tracing.js');
      const setup = await setupTracer(o);
      new RequestTracing(setup, o).install(gateway);
      flush = setup.flush;
      gateway.log.info(
        {
          provider: setup.source,
          protocol: setup.source === 'own' ? (o.exporter?.protocol ?? 'http/protobuf') : undefined,
        },
        'otel: tracing on',
      );
      gateway.hooks.close.tapPromise('otel', () =>
        setup.shutdown().catch((err) => {
          gateway.log.warn({ err: { message: (err as Error).message } }, 'otel: span export at shutdown failed');
        }),
      );
    },
  })(options);
  return { ...base, flush: () => flush() };
}
