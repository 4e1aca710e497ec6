import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Human-readable output; default: when stdout is a terminal. */
  pretty?: boolean;
}

/**
 * The one pino instance; modules take `logger.child({ module })`. Writes are
 * synchronous in both modes so the last lines before a crash or a test's
 * process exit are not lost in a buffer (log volume is low: no per-packet logs).
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const base = { level, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.pretty ?? process.stdout.isTTY === true) {
    return pino(base, pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  // JSON lines for journald, docker and the tests that parse them.
  return pino(base, pino.destination({ dest: 1, sync: true }));
}
