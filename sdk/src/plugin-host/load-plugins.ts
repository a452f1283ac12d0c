import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPluginDefinition, type PluginDefinition } from '../define-plugin.js';

/**
 * Where a plugin named in the agent's plugin set is loaded from: a bare name is a
 * first-party plugin (`cpu-manager` → `@kernelet/plugin-cpu-manager`); anything with a
 * slash or a dot is a module specifier or a path (resolved against the working directory).
 */
export function pluginModuleSpecifier(name: string, cwd: string = process.cwd()): string {
  if (/^[a-z0-9][-a-z0-9]*$/.test(name)) return `@kernelet/plugin-${name}`;
  if (name.startsWith('.') || isAbsolute(name)) return pathToFileURL(resolve(cwd, name)).href;
  return name;
}

/** Imports a plugin module and returns the plugin definitions it exports. */
export async function loadPluginDefinitions(specifier: string): Promise<PluginDefinition[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load plugin module ${specifier}: ${(error as Error).message}`, { cause: error });
  }
  const definitions = Object.values(module).filter(isPluginDefinition);
  if (definitions.length === 0) throw new Error(`plugin module ${specifier} exports no plugin (definePlugin(...))`);
  return definitions;
}
