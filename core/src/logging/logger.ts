import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export const Logger = Symbol('Logger');

/**
 * The agent's root logger: JSON lines on stdout. Upstream `--v` verbosity maps onto
 * pino levels: 0-1 info, 2-3 debug, 4 and above trace.
 */
export function createLogger(options: { verbosity?: number; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const v = options.verbosity ?? 0;
  const level = v >= 4 ? 'trace' : v >= 2 ? 'debug' : 'info';
  const base = { name: options.name ?? 'kernelet' };
  return options.destination ? pino({ level, base }, options.destination) : pino({ level, base });
}
