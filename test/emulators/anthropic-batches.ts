/**
 * The Message Batches module of the Anthropic emulator (./anthropic.ts mounts it; it is not a server of its
 * own), in Anthropic's documented format: POST/GET /v1/messages/batches, GET/DELETE /v1/messages/batches/{id},
 * POST .../cancel, GET .../results (JSONL). A batch ends on its first retrieve; each result is a succeeded
 * message with usage 1000 input / 500 output tokens.
 */
import type http from 'node:http';

export interface BatchError {
  status: number;
  type: string;
  message: string;
}

/** Answers the request when its path is a message batch path (returns false otherwise). */
export function messageBatchesRoutes(
  origin: () => string,
  send: (res: http.ServerResponse, status: number, body: unknown) => void,
  fail: (res: http.ServerResponse, e: BatchError) => void,
) {
  const byId = new Map<string, { batch: Record<string, any>; requests: any[] }>();
  let seq = 0;
  return (method: string, path: string, body: any, res: http.ServerResponse): boolean => {
    if (!path.startsWith('/v1/messages/batches')) return false;
    if (path === '/v1/messages/batches' && method === 'POST') {
      const requests = body?.requests ?? [];
      const id = `msgbatch_${++seq}`;
      const batch = {
        id,
        type: 'message_batch',
        processing_status: 'in_progress',
        created_at: '2026-01-01T00:00:00Z',
        ended_at: null,
        expires_at: '2026-01-02T00:00:00Z',
        cancel_initiated_at: null,
        archived_at: null,
        results_url: null,
        request_counts: { processing: requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      };
      byId.set(id, { batch, requests });
      send(res, 200, batch);
      return true;
    }
    if (path === '/v1/messages/batches' && method === 'GET') {
      const data = [...byId.values()].map((b) => b.batch);
      send(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      return true;
    }
    const m = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
    const found = m && byId.get(m[1]);
    if (!m || !found) {
      fail(res, { status: 404, type: 'not_found_error', message: 'Not Found' });
      return true;
    }
    const { batch, requests } = found;
    if (m[2] === '/results') {
      res.writeHead(200, { 'content-type': 'application/binary' });
      const lines = requests.map((r: any, i: number) =>
        JSON.stringify({
          custom_id: r.custom_id,
          result: {
            type: 'succeeded',
            message: {
              id: `msg_${i}`,
              type: 'message',
              role: 'assistant',
              model: r.params?.model,
              content: [{ type: 'text', text: 'batched answer' }],
              stop_reason: 'end_turn',
              stop_sequence: null,
              usage: { input_tokens: 1000, output_tokens: 500 },
            },
          },
        }),
      );
      res.end(`${lines.join('\n')}\n`);
      return true;
    }
    if (m[2] === '/cancel')
      Object.assign(batch, { processing_status: 'canceling', cancel_initiated_at: '2026-01-01T00:00:01Z' });
    else if (method === 'DELETE') {
      byId.delete(m[1]);
      send(res, 200, { id: m[1], type: 'message_batch_deleted' });
      return true;
    } else if (batch.processing_status === 'in_progress') {
      const n = requests.length;
      Object.assign(batch, {
        processing_status: 'ended',
        ended_at: '2026-01-01T00:01:00Z',
        results_url: `${origin()}/v1/messages/batches/${m[1]}/results`,
        request_counts: { processing: 0, succeeded: n, errored: 0, canceled: 0, expired: 0 },
      });
    }
    send(res, 200, batch);
    return true;
  };
}
