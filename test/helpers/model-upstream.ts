/**
 * A bare HTTP upstream for tests of the gateway's upstream calls: it reads each POST's JSON body and
 * lets the test answer by the requested model; anything else (model discovery's GET /models) is a 404.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelUpstream {
  url: string;
  close(): Promise<void>;
}

export async function startModelUpstream(
  answer: (model: string, res: http.ServerResponse) => void,
): Promise<ModelUpstream> {
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(404).end(); // model discovery (GET /models): none here
        return;
      }
      answer((JSON.parse(raw) as { model: string }).model, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: unknown) => e,
  );
