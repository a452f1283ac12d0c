import { ProcessHandle } from './process-handle.js';

export interface StartPluginOptions {
  rootDir: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Node.js flags before the script, e.g. the plugin host's V8 flags. */
  nodeFlags?: readonly string[];
}

/** Runs a plugin's entry script as its own process, pointed at the agent's root dir. */
export function startPlugin(script: string, options: StartPluginOptions): ProcessHandle {
  return ProcessHandle.spawnNode(script, ['--root-dir', options.rootDir, ...(options.args ?? [])], { KERNELET_ROOT_DIR: options.rootDir, ...options.env }, options.nodeFlags);
}
