/**
 * Where spans go. Every OpenTelemetry package is imported here, dynamically, when the plugin
 * applies: a gateway without the otel plugin never loads one.
 *   - options.tracerProvider: the caller's provider (library mode, tests);
 *   - provider 'auto' (default): the global provider if the host app registered one, else our own;
 *   - our own: BasicTracerProvider, parent-based ratio sampler, batch processor, OTLP exporter
 *     (HTTP/protobuf or gRPC; endpoint and headers from the options or the OTEL_EXPORTER_OTLP_* env).
 */
import { createRequire } from 'node:module';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtelOptions } from './types.js';

export interface TracerSetup {
  api: typeof import('@opentelemetry/api');
  core: typeof import('@opentelemetry/core');
  tracer: Tracer;
  /** Which provider is used: 'given' | 'global' | 'own'. */
  source: 'given' | 'global' | 'own';
  /** Export what is queued (our own provider only). */
  flush(): Promise<void>;
  /** Flush and stop (our own provider only; a host's provider is the host's to shut down). */
  shutdown(): Promise<void>;
}

const nothing = async () => undefined;

const VERSION = '0.1.0';

/** Whether the host app registered a global tracer provider (the API's proxy has a real delegate). */
function globalProvider(api: typeof import('@opentelemetry/api')): TracerProvider | undefined {
  const proxy = api.trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const delegate = proxy.getDelegate?.() ?? proxy;
  return delegate.constructor?.name === 'NoopTracerProvider' ? undefined : proxy;
}

export async function setupTracer(o: OtelOptions): Promise<TracerSetup> {
  const api = await import('@opentelemetry/api');
  const core = await import('@opentelemetry/core');
  const name = 'switchyard';
  if (o.tracerProvider) {
    return {
      api,
      core,
      tracer: o.tracerProvider.getTracer(name, VERSION),
      source: 'given',
      flush: nothing,
      shutdown: nothing,
    };
  }
  const mode = o.provider ?? 'auto';
  const global = mode === 'own' ? undefined : globalProvider(api);
  if (global)
    return { api, core, tracer: global.getTracer(name, VERSION), source: 'global', flush: nothing, shutdown: nothing };
  if (mode === 'global') {
    throw new Error(
      'Plugin "otel": option "provider" is "global", but the application registered no global tracer provider.',
    );
  }
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes, defaultResource } = await import('@opentelemetry/resources');
  const exporter = await createExporter(o);
  const ratio = o.sampler?.ratio ?? 1;
  const root =
    ratio >= 1
      ? new sdk.AlwaysOnSampler()
      : ratio <= 0
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(ratio);
  const sampler = o.sampler?.parentBased === false ? root : new sdk.ParentBasedSampler({ root });
  const b = o.batch ?? {};
  const processor = new sdk.BatchSpanProcessor(exporter, {
    maxQueueSize: b.maxQueueSize ?? 2048,
    maxExportBatchSize: b.maxExportBatchSize ?? 512,
    scheduledDelayMillis: b.scheduledDelayMs ?? 1000,
    exportTimeoutMillis: b.exportTimeoutMs ?? 30_000,
  });
  const resource = defaultResource().merge(
    resourceFromAttributes({ 'service.name': o.serviceName ?? 'switchyard', ...o.resourceAttributes }),
  );
  const provider = new sdk.BasicTracerProvider({ resource, sampler, spanProcessors: [processor] });
  return {
    api,
    core,
    tracer: provider.getTracer(name, VERSION),
    source: 'own',
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

async function createExporter(o: OtelOptions): Promise<SpanExporter> {
  const e = o.exporter ?? {};
  const timeoutMillis = e.timeoutMs ?? 10_000;
  if ((e.protocol ?? 'http/protobuf') === 'grpc') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
    let metadata: import('@grpc/grpc-js').Metadata | undefined;
    if (e.headers && Object.keys(e.headers).length) {
      // @grpc/grpc-js is the gRPC exporter's own dependency: load the copy it uses.
      const fromExporter = createRequire(
        createRequire(import.meta.url).resolve('@opentelemetry/exporter-trace-otlp-grpc'),
      );
      const grpc = fromExporter('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
      metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(e.headers)) metadata.set(k, v);
    }
    return new OTLPTraceExporter({
      ...(e.endpoint ? { url: e.endpoint } : {}),
      ...(metadata ? { metadata } : {}),
      timeoutMillis,
    });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({
    ...(e.endpoint ? { url: e.endpoint } : {}),
    ...(e.headers ? { headers: e.headers } : {}),
    timeoutMillis,
  });
}
