import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** JSON lines on stdout, one field naming the plugin, as the agent's own logs. */
export function createPluginLogger(plugin?: string, level: string = process.env['KERNELET_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { name: 'kernelet-plugin', ...(plugin ? { plugin } : {}) } });
}
