/**
 * The SQLite ledger's writer thread (a worker_threads Worker started by sqlite-writer.ts): it opens the
 * ledger file on a connection of its own and writes each batch it is sent (sqlite-writes.ts), so that
 * SQLite's inserts, index updates and WAL writes run beside the requests instead of between them. Each
 * reply names the batch and the rows the database refused, or the error that stopped it. A `close`
 * message closes the connection and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../../../core/optional-deps.js';
import { unpackEntries } from './entry-codec.js';
import { SQLITE } from './sqlite-dialect.js';
import { SqliteWrites } from './sqlite-writes.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-thread.ts runs as a worker thread (see sqlite-writer.ts)');
const db = openSqlite((workerData as { path: string }).path);
db.pragma('synchronous = NORMAL'); // per connection; WAL mode is the file's, set by the ledger
const writes = new SqliteWrites(db, SQLITE);

port.on('message', (m: WriterRequest) => {
  if (m.close) {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: m.id, refused: writes.append(unpackEntries(m.packed)) };
  } catch (e) {
    const err = e as { message?: string; code?: string };
    reply = { id: m.id, error: { message: String(err?.message ?? e), code: err?.code } };
  }
  port.postMessage(reply);
});
