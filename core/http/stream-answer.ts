/**
 * A chat stream answered as server-sent events in the client's dialect (a StreamEncoder), the same way on
 * every ingress: headers at once, each canonical chunk encoded and written with backpressure, the
 * dialect's end event, or its error event when the upstream fails after the stream started (no failover
 * then: the client has part of an answer). Shutdown ends it with the dialect's 503 error event; a client
 * that left gets nothing more. Then the meter record, with the status the stream ended with.
 */
import type { ChatContext } from '../context.js';
import { errors, type GatewayError } from '../errors.js';
import { asGatewayError, type ChatOutcome } from '../pipeline.js';
import { clientClosed } from '../upstream.js';
import type { StreamEncoder } from './dialect.js';
import type { RequestLife } from './request-life.js';
import { responseHeaders } from './respond.js';
import { startSse, writeSse } from './sse-writer.js';

export async function answerStream(
  life: RequestLife<ChatContext>,
  ctx: ChatContext,
  outcome: Extract<ChatOutcome, { kind: 'stream' }>,
  enc: StreamEncoder,
  /** Runs after the last chunk, before the end event goes out (e.g. storing the finished answer). */
  beforeEnd?: () => Promise<void>,
): Promise<void> {
  life.stream = outcome;
  const { kctx, base } = life;
  const res = kctx.res;
  startSse(res, responseHeaders(ctx));
  kctx.respond = false;
  let error: GatewayError | undefined;
  try {
    for await (const chunk of outcome.chunks) {
      const text = enc.chunk(chunk);
      if (!text) continue;
      const written = writeSse(res, text, base.abortSource);
      if (written === false || (written !== true && !(await written))) break;
    }
    if (!base.abortSource.aborted) {
      const tail = enc.end();
      if (beforeEnd) await beforeEnd();
      res.end(tail);
    }
  } catch (e) {
    error = asGatewayError(e, ctx);
    if (!life.cut) {
      const where = { status: error.status, code: error.code, provider: ctx.target?.provider };
      ctx.log.warn(where, 'stream failed after it started');
    }
    if (!base.abortSource.aborted) res.end(enc.error(error));
  }
  if (life.cut) {
    error = errors.shuttingDown();
    if (!res.writableEnded && !res.destroyed) res.end(enc.error(error));
  } else if (base.abortSource.aborted) {
    error = clientClosed();
    res.destroy();
  }
  life.end(error ? error.status : 200, error);
}
