/**
 * Generic HTTPS batch sink: each batch is one POST of a JSON array of CloudEvents
 * (`application/cloudevents-batch+json`), signed like the governance webhooks: `x-switchyard-signature:
 * sha256=<hex HMAC-SHA256 of the exact body>` with the configured secret. Any 2xx confirms the whole
 * batch; anything else (or no answer) fails it and it is sent again, the same events with the same
 * ids: receivers dedupe by event id. The URL comes from the configuration only.
 */
import { httpRequest } from '../../core/upstream.js';
import { SIGNATURE_HEADER, sign } from '../governance/index.js';
import type { ExportEvent } from './events.js';
import type { PublishResult, Sink } from './queue.js';
import type { HttpSinkOptions } from './types.js';

export class HttpSink implements Sink {
  readonly name = 'http';

  constructor(private readonly o: HttpSinkOptions) {}

  async publish(batch: ExportEvent[]): Promise<PublishResult> {
    const body = JSON.stringify(batch);
    const headers: Record<string, string> = {
      ...this.o.headers,
      'content-type': 'application/cloudevents-batch+json',
      'user-agent': 'switchyard-export',
    };
    if (this.o.secret) headers[SIGNATURE_HEADER] = sign(body, this.o.secret);
    const timeout = this.o.timeoutMs ?? 10_000;
    const res = await httpRequest(this.o.url, {
      method: 'POST',
      headers,
      body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    await res.body.dump();
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return { ok: batch.map(() => ok), ...(ok ? {} : { error: `HTTP sink answered ${res.statusCode}` }) };
  }

  async close(): Promise<void> {}
}
