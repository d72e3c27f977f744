/**
 * pino, configured once. Log lines carry metadata only; redaction is a second line of defence for
 * anything that looks like a credential, in case a plugin logs an object carelessly.
 */
import type { Logger } from 'pino';
import { pino } from './cjs-packages.js';
import type { LoggingConfig } from './config-types.js';

/**
 * Exact paths only: wildcard paths make pino copy every logged object (measured at ~5% of the CPU of
 * a request in bench/). Core and built-in plugins log metadata objects that have none of these fields.
 */
export const REDACT_PATHS = [
  'authorization',
  'apiKey',
  'key',
  'password',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The `,"time":"<ISO 8601>"` field of a line for a time in ms, as `Date.prototype.toISOString` writes it.
 * Formatting a Date costs ~7,700 instructions (V8 goes through vsnprintf), once per request at concurrency 1
 * (bench/, callgrind: 1.7% of a zero-config request); the date, hour and minute are formatted once a minute
 * here and the seconds and milliseconds appended, and lines within the same millisecond share one string.
 */
export function isoTimeField(): (now: number) => string {
  let lastMs = Number.NaN;
  let last = '';
  let minute = Number.NaN;
  let prefix = '';
  return (now) => {
    if (now === lastMs) return last;
    lastMs = now;
    const m = Math.floor(now / 60_000);
    if (m !== minute) {
      minute = m;
      const iso = new Date(m * 60_000).toISOString(); // ...THH:MM:00.000Z
      prefix = `,"time":"${iso.slice(0, iso.length - 7)}`;
    }
    const ms = now - m * 60_000;
    const sec = Math.floor(ms / 1000);
    const milli = ms - sec * 1000;
    last = `${prefix}${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z"`;
    return last;
  };
}

const timeField = isoTimeField();

/** pino's `timestamp` option: the time field of a line written now. */
export function isoTime(): string {
  return timeField(Date.now());
}

/** Timers that flush buffered destinations, per logger (stopped by stopLogger). */
const flushers = new WeakMap<Logger, NodeJS.Timeout>();
/** The destination of each logger made by createLogger: infoLine writes its lines there directly. */
const destinations = new WeakMap<Logger, { write(line: string): unknown }>();

/**
 * Keys infoLine leaves to pino: those a redaction path starts with (pino censors them), the error key
 * (its serializer) and the keys of the line itself.
 */
const PINO_KEYS = new Set([...REDACT_PATHS.map((p) => p.split(/[.[]/)[0]), 'err', 'msg', 'level', 'time', 'reqId']);
const INFO = 30;

/**
 * A writer of one info line, `logger.info({ reqId, [key]: value }, msg)`, for a line written on every
 * request (the usage meter's). For a logger made by createLogger the line is assembled here and written
 * to its destination: the same bytes pino writes (level, time, bindings, reqId, key, msg), without pino's
 * per-call work (its key loop, the redaction pass, the mixin and hook checks: ~2% of a request's CPU
 * in bench/). The level is checked on every call. Any other logger (library mode, a child), a key pino
 * treats apart (PINO_KEYS), or a value JSON.stringify refuses (a cycle) goes through pino itself.
 *
 * `bytes`, when given, writes the value's JSON as bytes (core/usage-json.ts) or says it cannot (undefined):
 * a batched destination then takes the line as bytes, the value's without a `JSON.stringify`.
 *
 * On a batched destination the line is written later in the same turn of the event loop (`later` in
 * batchLines), with the time of the call: the lines of a turn's requests are serialised one after the
 * other, with their code and data still in the CPU's caches, instead of each between two requests' work
 * (bench/profile-notes.md, nineteenth round). Any other line written to the destination, and every
 * flush, writes the waiting lines first, so the file's order is the order of the calls.
 */
export function infoLine<T extends object>(
  logger: Logger,
  key: string,
  msg: string,
  bytes?: (value: T) => Uint8Array | undefined,
): (reqId: string, value: T) => void {
  const viaPino = (reqId: string, value: T) => logger.info({ reqId, [key]: value }, msg);
  const dest = destinations.get(logger);
  if (!dest || PINO_KEYS.has(key)) return viaPino;
  const keyJson = `,${JSON.stringify(key)}:`;
  const tail = `,"msg":${JSON.stringify(msg)}}\n`;
  const tailBytes = Buffer.from(tail);
  const chindings = pino.symbols.chindingsSym;
  const writeLine = bytes && (dest as Partial<LineBytes>).writeLineBytes?.bind(dest);
  const write = (reqId: string, value: T, now: number): void => {
    const bindings = (logger as unknown as Record<symbol, string>)[chindings];
    const body = writeLine ? bytes!(value) : undefined;
    const head = `{"level":${INFO}${timeField(now)}${bindings},"reqId":${JSON.stringify(reqId)}${keyJson}`;
    if (body) {
      writeLine!(head, body, tailBytes);
      return;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) return viaPino(reqId, value);
    dest.write(`${head}${json}${tail}`);
  };
  const later = (dest as Partial<Later>).later;
  if (!later) {
    return (reqId, value) => {
      if (logger.isLevelEnabled('info')) write(reqId, value, Date.now());
    };
  }
  const writeLater = (reqId: string, value: object, now: number) => write(reqId, value as T, now);
  const fallback = (reqId: string, value: object) => viaPino(reqId, value as T);
  return (reqId, value) => {
    if (logger.isLevelEnabled('info')) later(writeLater, fallback, reqId, value, Date.now());
  };
}

/**
 * A batched destination's queue of lines to write later in this turn of the event loop (infoLine): each
 * is its writer, its fallback through pino (should the writer throw), the request id, the value and the
 * time of the call.
 */
interface Later {
  later(
    write: (reqId: string, value: object, now: number) => void,
    fallback: (reqId: string, value: object) => void,
    reqId: string,
    value: object,
    now: number,
  ): void;
}

/** A batched destination's way in for a line whose middle is already bytes (batchLines). */
interface LineBytes {
  writeLineBytes(head: string, body: Uint8Array, tail: Uint8Array): void;
}

/**
 * `dest`: a file path (tests) instead of stdout. With `bufferMs` > 0 (default 200) lines are written in
 * batches: when 12 KiB are pending or every bufferMs, and at shutdown and exit. Writing every line at
 * once cost ~0.1 ms of latency per request at concurrency 1 on a 2-CPU machine (bench/): each write
 * wakes a libuv thread.
 */
export function createLogger(config: LoggingConfig = {}, dest: string | number = 1): Logger {
  const fromEnv = process.env.SWITCHYARD_LOG_LEVEL;
  if (!config.level && fromEnv && !LEVELS.includes(fromEnv)) {
    throw new Error(`SWITCHYARD_LOG_LEVEL is "${fromEnv}"; use one of ${LEVELS.join(', ')}.`);
  }
  const bufferMs = config.bufferMs ?? 200;
  // Batched: sonic-boom takes bytes (batchLines encodes each line at once) and writes everything
  // pending, up to MAX_WRITE, in one write. Its minLength keeps a batch handed over by a flush (smaller
  // than BATCH_BYTES) for sonic-boom's flush, whose callback waits for the write.
  const destination = pino.destination(
    bufferMs > 0
      ? { dest, sync: false, minLength: 4096, maxWrite: MAX_WRITE, contentMode: 'buffer' }
      : { dest, sync: false, minLength: 0 },
  );
  if (bufferMs > 0) batchLines(destination, BATCH_BYTES);
  const logger = pino(
    {
      level: config.level ?? fromEnv ?? 'info',
      base: { service: 'switchyard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: isoTime,
    },
    destination,
  );
  destinations.set(logger, destination);
  if (bufferMs > 0) {
    // Without a callback: sonic-boom fsyncs the file before calling one back (a disk flush every bufferMs
    // when stdout is a file, ~1 system call in 6 of a logged request's in bench/).
    const timer = setInterval(() => {
      try {
        destination.flush();
      } catch {
        // destroyed (closed): nothing left to flush
      }
    }, bufferMs);
    timer.unref();
    flushers.set(logger, timer);
  }
  return logger;
}

/**
 * Lines are handed to the file in batches of at least this many bytes (or every bufferMs): each write
 * goes through libuv's thread pool (a wake-up and a completion), so fewer, larger writes cost less.
 */
const BATCH_BYTES = 12 * 1024;
/** The staging buffer a batch is encoded into: a batch, plus room for the line that completes it. */
const STAGE_BYTES = 16 * 1024;
/**
 * The most one write takes: everything handed over while the previous write was in flight. Under load
 * the write's completion waits for the event loop; at sonic-boom's default (16 KiB a write) lines queued
 * faster than they were written (bench/, zero-config, ~10,000 req/s: 850 batches, 0.7-1.6 s behind).
 */
const MAX_WRITE = 1024 * 1024;

type Destination = ReturnType<typeof pino.destination>;

/**
 * Encode each line into a staging buffer at once and hand the destination (sonic-boom in buffer mode)
 * `min` bytes at a time. A line kept as a string until written lives on V8's heap: lines waiting behind a
 * write in flight survived young-generation collections and were copied into the old generation (5.4 KB
 * per request at ~10,000 req/s in bench/, most of the garbage collector's time). Bytes live outside the
 * heap. (sonic-boom's own batching in utf8 mode also appends each line to one pending string and
 * measures its UTF-8 length on every write, which flattens it.) Flush, flushSync and end (the timer,
 * shutdown, pino's exit hook) hand over what is staged first.
 */
function batchLines(destination: Destination, min: number): void {
  const write = destination.write.bind(destination) as unknown as (bytes: Buffer) => boolean;
  let stage = Buffer.allocUnsafe(STAGE_BYTES);
  let used = 0;
  // Bytes handed to sonic-boom and not yet written (its 'write' events count them down). A flush while it
  // is busy (opening the file, a write in flight) does nothing there, and afterwards it waits for minLength
  // bytes: the timer flushes again on every tick until this is 0, and an idle tick writes nothing.
  let unwritten = 0;
  destination.on('write', (n: number) => {
    unwritten = Math.max(0, unwritten - n);
  });
  const hand = (bytes: Buffer) => {
    unwritten += bytes.length;
    write(bytes);
  };
  const drain = () => {
    if (used === 0) return;
    const batch = stage.subarray(0, used);
    stage = Buffer.allocUnsafe(STAGE_BYTES); // sonic-boom holds the batch until it is written
    used = 0;
    hand(batch);
  };
  // Lines to write at the end of this turn of the event loop (infoLine), in parallel arrays: no object per line.
  let writers: Array<Parameters<Later['later']>[0]> = [];
  let fallbacks: Array<Parameters<Later['later']>[1]> = [];
  let ids: string[] = [];
  let values: object[] = [];
  let times: number[] = [];
  let scheduled = false;
  const writeWaiting = () => {
    scheduled = false;
    const n = writers.length;
    if (n === 0) return;
    const w = writers;
    const f = fallbacks;
    const id = ids;
    const v = values;
    const t = times;
    // emptied first: a line written below (a fallback through pino) comes back through destination.write
    writers = [];
    fallbacks = [];
    ids = [];
    values = [];
    times = [];
    for (let i = 0; i < n; i++) {
      try {
        w[i]!(id[i]!, v[i]!, t[i]!);
      } catch {
        try {
          f[i]!(id[i]!, v[i]!);
        } catch {
          // neither could write it: the line is dropped, the other lines are not
        }
      }
    }
  };
  (destination as unknown as Later).later = (write, fallback, reqId, value, now) => {
    writers.push(write);
    fallbacks.push(fallback);
    ids.push(reqId);
    values.push(value);
    times.push(now);
    if (!scheduled) {
      scheduled = true;
      setImmediate(writeWaiting);
    }
  };
  // head (a string), body and tail (bytes) as one line, staged like a line written as a string
  (destination as unknown as LineBytes).writeLineBytes = (head, body, tail) => {
    const most = head.length * 3 + body.length + tail.length;
    if (used + most > STAGE_BYTES) {
      drain();
      if (most > STAGE_BYTES) {
        hand(Buffer.concat([Buffer.from(head), body, tail]));
        return;
      }
    }
    used += stage.write(head, used);
    stage.set(body, used);
    used += body.length;
    stage.set(tail, used);
    used += tail.length;
    if (used >= min) drain();
  };
  destination.write = (line: string): boolean => {
    if (writers.length) writeWaiting(); // the lines called before this one, first
    // A UTF-16 unit is at most 3 UTF-8 bytes: measure the line only when it might not fit.
    if (used + line.length * 3 > STAGE_BYTES) {
      const bytes = Buffer.byteLength(line);
      if (used + bytes > STAGE_BYTES) {
        drain();
        if (bytes > STAGE_BYTES) {
          hand(Buffer.from(line));
          return true;
        }
      }
    }
    used += stage.write(line, used);
    if (used >= min) drain();
    return true;
  };
  const flush = destination.flush.bind(destination);
  const flushSync = destination.flushSync.bind(destination);
  const end = destination.end.bind(destination);
  destination.flush = (cb?: (err?: Error) => unknown) => {
    writeWaiting();
    if (used === 0 && unwritten === 0 && !cb) return;
    drain();
    flush(cb);
  };
  destination.flushSync = () => {
    writeWaiting();
    drain();
    flushSync();
  };
  destination.end = () => {
    writeWaiting();
    drain();
    end();
  };
}

/** Stop the flush timer of a logger made by createLogger (the gateway's close does this). */
export function stopLogger(logger: Logger): void {
  clearInterval(flushers.get(logger));
  flushers.delete(logger);
}
