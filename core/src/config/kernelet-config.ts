/**
 * KerneletConfiguration (kernelet.io/v1alpha1): kernelet's own settings beyond the kubelet's.
 *
 *   apiVersion: kernelet.io/v1alpha1
 *   kind: KerneletConfiguration
 *   plugins:
 *   - name: cpu-manager
 *     failurePolicy: Fail        # or Ignore
 *     config: {reconcile: true}  # free-form, handed to that plugin only
 *   pluginIsolation: shared      # or process
 *   pluginCallTimeout: 2s
 *   pluginReadyTimeout: 30s
 *   podHousekeepingPeriod: 2s      # the kubelet's fixed housekeeping period, tunable here
 *   machineInfoFile: topology.json   # relative to this file's directory
 *
 * This format is ours, so it is strict: unknown fields are errors.
 */
import * as path from 'node:path';
import type { KerneletOptions, PluginFailurePolicy, PluginIsolation } from './agent-options.js';
import { parseDuration, DurationError } from './duration.js';
import { describeValue, isJsonObject, type JsonObject } from './json-value.js';
import { keyPath, type ProblemList } from './problem.js';

export const KERNELET_API_VERSION = 'kernelet.io/v1alpha1';
export const KERNELET_KIND = 'KerneletConfiguration';
export const DEFAULT_PLUGIN_CALL_TIMEOUT_MS = 2000;
export const DEFAULT_PLUGIN_READY_TIMEOUT_MS = 30_000;
/** The kubelet's housekeeping period (a constant upstream, not a KubeletConfiguration field). */
export const DEFAULT_POD_HOUSEKEEPING_PERIOD_MS = 2000;

const TOP_LEVEL = ['apiVersion', 'kind', 'plugins', 'pluginIsolation', 'pluginCallTimeout', 'pluginReadyTimeout', 'podHousekeepingPeriod', 'machineInfoFile'];
const PLUGIN_FIELDS = ['name', 'config', 'failurePolicy'];

export function defaultKerneletOptions(): KerneletOptions {
  return {
    plugins: [],
    pluginConfigs: {},
    pluginFailurePolicies: {},
    pluginIsolation: 'shared',
    pluginCallTimeoutMs: DEFAULT_PLUGIN_CALL_TIMEOUT_MS,
    pluginReadyTimeoutMs: DEFAULT_PLUGIN_READY_TIMEOUT_MS,
    podHousekeepingPeriodMs: DEFAULT_POD_HOUSEKEEPING_PERIOD_MS,
    dryRun: false,
  };
}

/** Applies a KerneletConfiguration document onto `options`. Problems are reported under `field`. */
export function decodeKerneletConfiguration(
  document: JsonObject,
  file: string,
  options: KerneletOptions,
  problems: ProblemList,
): void {
  const at = (name: string): string => `${file}#${name}`;
  if (document['apiVersion'] !== KERNELET_API_VERSION) {
    problems.add(at('apiVersion'), `${describeValue(document['apiVersion'])} is not supported, want ${KERNELET_API_VERSION}`);
  }
  if (document['kind'] !== KERNELET_KIND) problems.add(at('kind'), `${describeValue(document['kind'])} is not ${KERNELET_KIND}`);
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL.includes(key)) problems.add(at(key), `unknown field (valid: ${TOP_LEVEL.slice(2).join(', ')})`);
  }

  const plugins = document['plugins'];
  if (plugins !== undefined && plugins !== null) {
    if (!Array.isArray(plugins)) {
      problems.add(at('plugins'), `expected a list, got ${describeValue(plugins)}`);
    } else {
      const names: string[] = [];
      plugins.forEach((entry, i) => {
        const entryAt = at(keyPath('plugins', i));
        if (!isJsonObject(entry)) {
          problems.add(entryAt, `expected a mapping with a name, got ${describeValue(entry)}`);
          return;
        }
        for (const key of Object.keys(entry)) {
          if (!PLUGIN_FIELDS.includes(key)) problems.add(`${entryAt}.${key}`, `unknown field (valid: ${PLUGIN_FIELDS.join(', ')})`);
        }
        const name = entry['name'];
        if (typeof name !== 'string' || name === '') {
          problems.add(`${entryAt}.name`, `expected a plugin name or module specifier, got ${describeValue(name)}`);
          return;
        }
        if (names.includes(name)) problems.add(`${entryAt}.name`, `plugin "${name}" is listed twice`);
        names.push(name);
        if (entry['config'] !== undefined && entry['config'] !== null) options.pluginConfigs[name] = entry['config'];
        const policy = entry['failurePolicy'];
        if (policy === undefined || policy === null) {
          options.pluginFailurePolicies[name] = 'Fail';
        } else if (policy === 'Fail' || policy === 'Ignore') {
          options.pluginFailurePolicies[name] = policy as PluginFailurePolicy;
        } else {
          problems.add(`${entryAt}.failurePolicy`, `unknown policy ${describeValue(policy)} (valid: Fail, Ignore)`);
        }
      });
      options.plugins = names;
    }
  }

  const isolation = document['pluginIsolation'];
  if (isolation !== undefined && isolation !== null) {
    if (isolation === 'shared' || isolation === 'process') options.pluginIsolation = isolation as PluginIsolation;
    else problems.add(at('pluginIsolation'), `unknown value ${describeValue(isolation)} (valid: shared, process)`);
  }

  const timeout = document['pluginCallTimeout'];
  if (timeout !== undefined && timeout !== null) {
    const ms = typeof timeout === 'string' ? timeoutMs(timeout, at('pluginCallTimeout'), problems) : undefined;
    if (typeof timeout !== 'string') problems.add(at('pluginCallTimeout'), `expected a duration such as "2s", got ${describeValue(timeout)}`);
    if (ms !== undefined) options.pluginCallTimeoutMs = ms;
  }

  const readyTimeout = document['pluginReadyTimeout'];
  if (readyTimeout !== undefined && readyTimeout !== null) {
    const ms = typeof readyTimeout === 'string' ? timeoutMs(readyTimeout, at('pluginReadyTimeout'), problems) : undefined;
    if (typeof readyTimeout !== 'string') problems.add(at('pluginReadyTimeout'), `expected a duration such as "30s", got ${describeValue(readyTimeout)}`);
    if (ms !== undefined) options.pluginReadyTimeoutMs = ms;
  }

  const housekeeping = document['podHousekeepingPeriod'];
  if (housekeeping !== undefined && housekeeping !== null) {
    const ms = typeof housekeeping === 'string' ? timeoutMs(housekeeping, at('podHousekeepingPeriod'), problems) : undefined;
    if (typeof housekeeping !== 'string') problems.add(at('podHousekeepingPeriod'), `expected a duration such as "2s", got ${describeValue(housekeeping)}`);
    if (ms !== undefined) options.podHousekeepingPeriodMs = ms;
  }

  const machineInfo = document['machineInfoFile'];
  if (machineInfo !== undefined && machineInfo !== null) {
    if (typeof machineInfo === 'string' && machineInfo !== '') options.machineInfoFile = path.resolve(path.dirname(file), machineInfo);
    else problems.add(at('machineInfoFile'), `expected a file path, got ${describeValue(machineInfo)}`);
  }
}

/** A plugin call timeout: a positive duration. */
export function timeoutMs(text: string, field: string, problems: ProblemList): number | undefined {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) {
      problems.add(field, `"${text}" must be a positive duration`);
      return undefined;
    }
    return ms;
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    problems.add(field, err.message);
    return undefined;
  }
}
