#!/usr/bin/env -S node --optimize-for-size --max-opt=1 --v8-pool-size=1 --max-semi-space-size=1
/**
 * kernelet-plugin-host: serves several plugins from one process, each on its own
 * registration socket (one Node.js process per plugin costs ~40 MiB).
 *
 *   kernelet-plugin-host --root-dir DIR --plugin SPEC [--plugin SPEC ...]
 */
import 'reflect-metadata';
import { createPluginLogger } from '../logger.js';
import { closeServedPlugins, servePlugin } from '../serve-plugin.js';
import { loadPluginDefinitions, pluginModuleSpecifier } from './load-plugins.js';

const logger = createPluginLogger();

// Started by the agent's supervisor, the host has an IPC channel to it that the kernel closes
// when the agent exits in any way (SIGKILL, OOM kill, crash). The plugins must not outlive it:
// a restarted agent starts them again, and two instances would share their state files.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => {
    logger.warn({ ppid: process.ppid }, 'the agent that started this plugin host is gone; stopping its plugins');
    void closeServedPlugins().then(() => process.exit(0));
  });
}

const args = process.argv.slice(2);
let rootDir: string | undefined;
const specs: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
  const value = () => inline ?? args[++i];
  if (flag === '--root-dir') rootDir = value();
  else if (flag === '--plugin') specs.push(...(value() ?? '').split(',').filter(Boolean));
  else {
    logger.error({ arg }, 'unknown argument');
    process.exit(2);
  }
}
if (!rootDir || specs.length === 0) {
  logger.error('usage: kernelet-plugin-host --root-dir DIR --plugin SPEC [--plugin SPEC ...]');
  process.exit(2);
}

try {
  for (const spec of specs) {
    for (const definition of await loadPluginDefinitions(pluginModuleSpecifier(spec))) {
      await servePlugin(definition, { rootDir, logger: logger.child({ plugin: definition.name }) });
    }
  }
} catch (error) {
  logger.error({ err: (error as Error).message }, 'plugin host cannot start');
  process.exit(2);
}
