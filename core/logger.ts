/**
 * pino, configured once. Log lines carry metadata only; redaction is a second line of defence for
 * anything that looks like a credential, in case a plugin logs an object carelessly.
 */
import { pino, type Logger } from 'pino';
import type { LoggingConfig } from './config-types.js';

/**
 * Exact paths only: wildcard paths make pino copy every logged object (measured at ~5% of the CPU of
 * a request in bench/). Core and built-in plugins log metadata objects that have none of these fields.
 */
export const REDACT_PATHS = [
  'authorization', 'apiKey', 'key', 'password',
  'headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]',
];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * pino's isoTime formats a Date for every line (~1.4% of a request's CPU in bench/, where every
 * request logs its usage line); lines within the same millisecond share one string.
 */
let lastMs = -1;
let lastTime = '';
export function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/** Timers that flush buffered destinations, per logger (stopped by stopLogger). */
const flushers = new WeakMap<Logger, NodeJS.Timeout>();

/**
 * `dest`: a file path (tests) instead of stdout. With `bufferMs` > 0 (default 200) lines are written in
 * batches: when 4 KiB are pending or every bufferMs, and at shutdown and exit. Writing every line at
 * once cost ~0.1 ms of latency per request at concurrency 1 on a 2-CPU machine (bench/): each write
 * wakes a libuv thread.
 */
export function createLogger(config: LoggingConfig = {}, dest: string | number = 1): Logger {
  const fromEnv = process.env.SWITCHYARD_LOG_LEVEL;
  if (!config.level && fromEnv && !LEVELS.includes(fromEnv)) {
    throw new Error(`SWITCHYARD_LOG_LEVEL is "${fromEnv}"; use one of ${LEVELS.join(', ')}.`);
  }
  const bufferMs = config.bufferMs ?? 200;
  const destination = pino.destination({ dest, sync: false, minLength: bufferMs > 0 ? 4096 : 0 });
  const logger = pino(
    {
      level: config.level ?? fromEnv ?? 'info',
      base: { service: 'switchyard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: isoTime,
    },
    destination,
  );
  if (bufferMs > 0) {
    const timer = setInterval(() => destination.flush(() => undefined), bufferMs); // a destroyed stream reports, not throws
    timer.unref();
    flushers.set(logger, timer);
  }
  return logger;
}

/** Stop the flush timer of a logger made by createLogger (the gateway's close does this). */
export function stopLogger(logger: Logger): void {
  clearInterval(flushers.get(logger));
  flushers.delete(logger);
}
