import type { KubeletConfiguration } from './kubelet-configuration.js';

/** Options that exist only as kubelet command-line flags, not in KubeletConfiguration. */
export interface KubeletFlags {
  rootDir: string;
  hostnameOverride?: string;
}

/** kernelet's own settings (plugin set, machine topology), beyond what the kubelet has. */
export interface KerneletOptions {
  /** First-party plugin names or module specifiers the agent starts and supervises. */
  plugins: string[];
  /** shared: one plugin-host process carries all plugins; process: one process each. */
  pluginIsolation: 'shared' | 'process';
  /** Deadline for each call from the agent into a plugin. */
  pluginCallTimeoutMs: number;
  machineInfoFile?: string;
  /** Each plugin's own settings, handed to it in Configure. */
  pluginConfigs?: Record<string, unknown>;
  /** What a failing admit-handler plugin means: Fail (reject the pod, default) or Ignore (admit). */
  failurePolicies?: Record<string, 'Fail' | 'Ignore'>;
}

/** Everything the agent runs with, after flags, config file and drop-ins are merged and validated. */
export interface AgentOptions {
  kubelet: KubeletConfiguration;
  flags: KubeletFlags;
  kernelet: KerneletOptions;
}

export const AgentOptions = Symbol('AgentOptions');
