/** Helpers of the routing tests (and bench/failover.ts): a user turn, and a port nothing listens on. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port nothing listens on (connection refused). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const user = (content: string) => [{ role: 'user' as const, content }];
