import { ProcessHandle } from './process-handle.js';

export interface StartPluginOptions {
  rootDir: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs a plugin's entry script as its own process, pointed at the agent's root dir. */
export function startPlugin(script: string, options: StartPluginOptions): ProcessHandle {
  return ProcessHandle.spawnNode(script, ['--root-dir', options.rootDir, ...(options.args ?? [])], { KERNELET_ROOT_DIR: options.rootDir, ...options.env });
}
