/**
 * The final configuration as YAML for `kernelet config print` and `kernelet --dry-run`: the
 * KubeletConfiguration an operator could save and pass to --config, followed by kernelet's own
 * settings as a KerneletConfiguration document.
 */
import { stringify } from 'yaml';
import type { AgentOptions } from './agent-options.js';
import { serializeKubeletConfiguration } from './configz.js';
import { formatDuration } from './duration.js';
import type { JsonObject } from './json-value.js';
import { KERNELET_API_VERSION, KERNELET_KIND } from './kernelet-config.js';

export function renderConfigYaml(options: AgentOptions): string {
  const kubelet = stringify(serializeKubeletConfiguration(options.kubelet, { typeMeta: true }), { lineWidth: 0 });
  const kernelet = stringify(kerneletDocument(options), { lineWidth: 0 });
  const sources = describeSources(options);
  return `${sources}${kubelet}---\n${kernelet}`;
}

function kerneletDocument(options: AgentOptions): JsonObject {
  const k = options.kernelet;
  const doc: JsonObject = {
    apiVersion: KERNELET_API_VERSION,
    kind: KERNELET_KIND,
    plugins: k.plugins.map((name) => {
      const entry: JsonObject = { name, failurePolicy: k.pluginFailurePolicies[name] ?? 'Fail' };
      const config = k.pluginConfigs[name];
      if (config !== undefined) entry['config'] = config as JsonObject;
      return entry;
    }),
    pluginIsolation: k.pluginIsolation,
    pluginCallTimeout: formatDuration(k.pluginCallTimeoutMs),
    pluginReadyTimeout: formatDuration(k.pluginReadyTimeoutMs),
    podHousekeepingPeriod: formatDuration(k.podHousekeepingPeriodMs),
  };
  if (k.machineInfoFile !== undefined) doc['machineInfoFile'] = k.machineInfoFile;
  return doc;
}

function describeSources(options: AgentOptions): string {
  const lines = ['# Final configuration kernelet would run with.'];
  lines.push(`# config file: ${options.flags.config ?? '(none: built-in defaults and command-line legacy defaults)'}`);
  if (options.flags.configDir !== undefined) {
    lines.push(`# drop-ins (${options.flags.configDir}): ${options.dropInFiles.length === 0 ? '(none)' : options.dropInFiles.join(', ')}`);
  }
  lines.push(`# root dir: ${options.flags.rootDir}`);
  return `${lines.join('\n')}\n`;
}
