/**
 * pino, configured once. Log lines carry metadata only; redaction is a second line of defence for
 * anything that looks like a credential, in case a plugin logs an object carelessly.
 */
import { pino, type Logger } from 'pino';
import type { LoggingConfig } from './config-types.js';

export const REDACT_PATHS = [
  'authorization', '*.authorization', '*.headers.authorization', '*.headers["x-api-key"]',
  'apiKey', '*.apiKey', 'key', '*.key', 'password', '*.password',
];

export function createLogger(config: LoggingConfig = {}): Logger {
  return pino(
    {
      level: config.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info',
      base: { service: 'switchyard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
