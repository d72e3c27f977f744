/**
 * Tiny OTLP trace receivers on 127.0.0.1 for tests: HTTP/protobuf (POST /v1/traces) and gRPC
 * (TraceService/Export). Both decode ExportTraceServiceRequest with protobufjs from the message
 * definitions of opentelemetry-proto (trace/v1, common/v1, resource/v1; only the fields we read).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;

const Request = protobuf.parse(PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

export interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  statusCode: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
}

type Any = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: unknown;
  doubleValue?: number;
  arrayValue?: { values?: Any[] };
};

function value(v: Any | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attrs = (list: Array<{ key: string; value?: Any }> | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

/** Decode an ExportTraceServiceRequest into flat spans. */
export function decodeSpans(body: Uint8Array): ReceivedSpan[] {
  const msg = Request.toObject(Request.decode(body), { longs: String, defaults: false }) as any;
  const out: ReceivedSpan[] = [];
  for (const rs of msg.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          name: s.name,
          kind: s.kind ?? 0,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          statusCode: s.status?.code ?? 0,
          attributes: attrs(s.attributes),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

export interface Receiver {
  url: string;
  spans: ReceivedSpan[];
  /** Headers (HTTP) or metadata (gRPC) of every export call. */
  headers: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<Receiver> {
  const spans: ReceivedSpan[] = [];
  const headers: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        req.headers['content-type'] !== 'application/x-protobuf'
      ) {
        res.writeHead(400).end();
        return;
      }
      headers.push({ ...req.headers });
      spans.push(...decodeSpans(Buffer.concat(chunks)));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); // an empty ExportTraceServiceResponse
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    headers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function startGrpcReceiver(): Promise<Receiver> {
  const spans: ReceivedSpan[] = [];
  const headers: Array<Record<string, unknown>> = [];
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        headers.push(call.metadata.getMap());
        spans.push(...decodeSpans(call.request));
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    headers,
    close: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}
