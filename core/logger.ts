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

export function createLogger(config: LoggingConfig = {}): Logger {
  const fromEnv = process.env.SWITCHYARD_LOG_LEVEL;
  if (!config.level && fromEnv && !LEVELS.includes(fromEnv)) {
    throw new Error(`SWITCHYARD_LOG_LEVEL is "${fromEnv}"; use one of ${LEVELS.join(', ')}.`);
  }
  return pino(
    {
      level: config.level ?? fromEnv ?? 'info',
      base: { service: 'switchyard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: isoTime,
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
