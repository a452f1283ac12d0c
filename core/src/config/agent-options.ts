import type { KubeletConfiguration } from './kubelet-configuration.js';
import type { ConfigProblem } from './problem.js';

/** Options that exist only as kubelet command-line flags, not in KubeletConfiguration. */
export interface KubeletFlags {
  /** --root-dir, absolute. Default /var/lib/kubelet. */
  rootDir: string;
  /** --config, absolute, when given. */
  config?: string;
  /** --config-dir, absolute, when given. */
  configDir?: string;
  /** --kubeconfig; absent means standalone mode. */
  kubeconfig?: string;
  hostnameOverride?: string;
  /** --node-ip: one address, or two comma-separated for dual stack. */
  nodeIP?: string;
  /** --node-labels key=value pairs. */
  nodeLabels: Record<string, string>;
  lockFile?: string;
  exitOnLockContention: boolean;
  /** --cert-dir. Default /var/lib/kubelet/pki. */
  certDir: string;
  imageCredentialProviderConfig?: string;
  imageCredentialProviderBinDir?: string;
}

export type PluginIsolation = 'shared' | 'process';
export type PluginFailurePolicy = 'Fail' | 'Ignore';

/** kernelet's own settings (plugin set, machine topology), beyond what the kubelet has. */
export interface KerneletOptions {
  /** First-party plugin names or module specifiers the agent starts and supervises, in order. */
  plugins: string[];
  /** Each plugin's own settings from the kernelet configuration file, by plugin name. */
  pluginConfigs: Record<string, unknown>;
  /** What a failing plugin means for the agent, by plugin name (default Fail). */
  pluginFailurePolicies: Record<string, PluginFailurePolicy>;
  /** shared: one plugin-host process carries all plugins; process: one process each. */
  pluginIsolation: PluginIsolation;
  /** Deadline for each call from the agent into a plugin. Default 2000. */
  pluginCallTimeoutMs: number;
  /** How long admission waits for an expected plugin to register before rejecting pods. Default 30000. */
  pluginReadyTimeoutMs: number;
  /** How often the pod loop runs its global cleanup (the kubelet's fixed housekeeping period). Default 2000. */
  podHousekeepingPeriodMs: number;
  /** A machine topology JSON file used instead of discovering the machine. */
  machineInfoFile?: string;
  /** --kernelet-config, absolute, when given. */
  kerneletConfigFile?: string;
  /** --dry-run: print the final configuration and start nothing. */
  dryRun: boolean;
}

/** Everything the agent runs with, after flags, config file and drop-ins are merged and validated. */
export interface AgentOptions {
  /** The fully defaulted KubeletConfiguration, in upstream JSON field names. */
  kubelet: KubeletConfiguration;
  flags: KubeletFlags;
  kernelet: KerneletOptions;
  /** Top-level KubeletConfiguration fields the operator set (config file, drop-in or flag). */
  explicitFields: ReadonlySet<string>;
  /** Effective value of every known feature gate. */
  featureGates: Readonly<Record<string, boolean>>;
  /** Things worth logging that did not stop the load (unknown fields, ignored files, ...). */
  warnings: readonly ConfigProblem[];
  /** The drop-in files applied, in order. */
  dropInFiles: readonly string[];
}

export const AgentOptions = Symbol('AgentOptions');
