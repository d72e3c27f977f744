/** Read a request body with a size limit and parse it as JSON, once. */
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.js';

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume(); // drain so the connection can answer
    throw errors.bodyTooLarge(limit);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw errors.bodyTooLarge(limit);
    }
    parts.push(chunk as Buffer);
  }
  if (size === 0) throw errors.invalidJson('the body is empty');
  const text = parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts, size).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.invalidJson((e as Error).message);
  }
}
