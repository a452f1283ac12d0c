import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; `name` tells the runtime's lines from the agent's. */
export function createRuntimeLogger(level = process.env['KERNELET_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { name: 'kernelet-embedded-runtime', pid: process.pid } });
}
