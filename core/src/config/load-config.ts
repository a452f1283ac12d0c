/**
 * Builds the agent's options from its command line, in the kubelet's documented order
 * (lowest precedence first):
 *   1. feature gates from the command line
 *   2. the --config file (defaulted; without one, the built-in defaults plus the command
 *      line's legacy defaults)
 *   3. drop-ins in --config-dir, in file-name order
 *   4. command-line flags other than feature gates
 * Validation runs once, on the result; every problem is reported together.
 */
import * as path from 'node:path';
import type { AgentOptions, KerneletOptions, KubeletFlags } from './agent-options.js';
import { listDropIns, readConfigDocument } from './config-file.js';
import { serializeKubeletConfiguration } from './configz.js';
import { decodeKubeletConfiguration, type DecodeMode } from './decode.js';
import {
  applyEvictionDefaults,
  applyKubeletDefaults,
  applyLegacyFlagDefaults,
  DEFAULT_CERT_DIR,
  DEFAULT_ROOT_DIR,
} from './defaults.js';
import { checkFeatureGates, FeatureGates } from './feature-gates.js';
import { parseCommandLine, type ParsedCommandLine } from './flags.js';
import { isJsonObject, objectAt, type JsonObject, type JsonValue } from './json-value.js';
import { decodeKerneletConfiguration, defaultKerneletOptions, timeoutMs } from './kernelet-config.js';
import type { KubeletConfiguration } from './kubelet-configuration.js';
import { foldFieldNames, mergeConfiguration } from './merge.js';
import { checkNodeLabels } from './node-labels.js';
import { keyPath, ProblemList, type ConfigProblem } from './problem.js';
import { fieldByNameIgnoringCase, KUBELET_API_VERSION, KUBELET_CONFIGURATION_FIELDS, KUBELET_KIND } from './schema.js';
import { validateKubeletConfiguration } from './validation.js';

export type { ConfigProblem } from './problem.js';
export { formatProblem } from './problem.js';

export type LoadResult =
  | { ok: true; options: AgentOptions }
  | { ok: false; problems: ConfigProblem[]; warnings?: ConfigProblem[] };

/** True when argv asks for --help / -h (the agent prints `helpText()` and exits). */
export function isHelpRequested(argv: readonly string[]): boolean {
  return parseCommandLine(argv, '/').help;
}

/** True when argv asks for --version (the agent prints its version and exits, as the kubelet does). */
export function isVersionRequested(argv: readonly string[]): boolean {
  return parseCommandLine(argv, '/').version;
}

/**
 * Builds the agent's options from its command line (flags, --config, --config-dir,
 * --kernelet-config). `argv` is everything after `kernelet`; relative paths in flags resolve
 * against `cwd`.
 */
export async function loadAgentOptions(argv: readonly string[], cwd: string = process.cwd()): Promise<LoadResult> {
  const problems = new ProblemList();
  const commandLine = parseCommandLine(argv, cwd);
  problems.problems.push(...commandLine.problems);
  for (const warning of commandLine.warnings) problems.warn(warning.field, warning.message);
  reportGateIssues(commandLine.featureGates, '--feature-gates', problems, true);

  const explicit = new Set<string>();
  const configFile = stringFlag(commandLine, 'config');
  const configDir = stringFlag(commandLine, 'configDir');

  // 2. The base: the config file, or the built-in defaults with the command line's legacy defaults.
  let base: JsonObject = {};
  if (configFile !== undefined) {
    const decoded = await loadKubeletDocument(configFile, '--config', 'config', problems);
    if (decoded !== undefined) {
      base = decoded;
      for (const key of Object.keys(decoded)) explicit.add(key);
    }
  }
  // The gates some defaults depend on (KubeletCrashLoopBackOffMax, KubeletEnsureSecretPulledImages)
  // are those in effect where the kubelet defaults: decoding --config sees the command-line gates
  // and the file's; the built-in base is defaulted before any flag is parsed, so it sees none.
  const baseGates = FeatureGates.fromMap(configFile === undefined ? {} : { ...commandLine.featureGates, ...gatesOf(base) });
  applyKubeletDefaults(base, baseGates);
  if (configFile === undefined) applyLegacyFlagDefaults(base);
  // Only here, on the --config file (or the built-in base), as the kubelet's loadConfigFile does:
  // drop-ins and flags change the thresholds afterwards, and mergeDefaultEvictionSettings in a
  // drop-in or a replacing --eviction-hard flag brings no defaults back.
  applyEvictionDefaults(base);

  // 3. Drop-ins, in file-name order. As the kubelet does, the configuration so far is serialized
  // as v1beta1 JSON (so empty plain fields drop out), each drop-in is merged into it as a JSON
  // merge patch, Go's decoding settles field-name spellings, and the result is defaulted again,
  // now with the gates the drop-ins set.
  const dropInFiles: string[] = [];
  let merged = base;
  if (configDir !== undefined) {
    merged = serializeKubeletConfiguration(base);
    const listing = await listDropIns(configDir, problems);
    for (const ignored of listing?.ignored ?? []) {
      problems.warn('--config-dir', `${ignored} ignored: only *.conf files are drop-ins`);
    }
    for (const file of listing?.files ?? []) {
      const decoded = await loadKubeletDocument(file, '--config-dir', 'dropin', problems, cwd);
      if (decoded === undefined) continue;
      dropInFiles.push(file);
      for (const key of Object.keys(decoded)) explicit.add(fieldByNameIgnoringCase(KUBELET_CONFIGURATION_FIELDS, key)?.name ?? key);
      merged = mergeConfiguration(merged, decoded);
    }
    merged = foldFieldNames(merged, KUBELET_CONFIGURATION_FIELDS);
    applyKubeletDefaults(merged, FeatureGates.fromMap({ ...commandLine.featureGates, ...gatesOf(merged) }));
    // An evictionHard the merge left empty is dropped by the serialization; no thresholds, as upstream.
    merged['evictionHard'] ??= {};
  }
  reportGateIssues(gatesOf(merged), 'featureGates', problems, false);

  // 4. Flags other than feature gates replace the fields they name.
  for (const assignment of commandLine.config) {
    const parent = objectAt(merged, assignment.path.slice(0, -1));
    parent[assignment.path[assignment.path.length - 1] as string] = structuredClone(assignment.value);
    explicit.add(assignment.path[0] as string);
  }

  // 1. Command-line feature gates sit below every other source.
  const fileGates = gatesOf(merged);
  const allGates = { ...commandLine.featureGates, ...fileGates };
  if (Object.keys(allGates).length > 0) merged['featureGates'] = allGates;
  if (Object.keys(commandLine.featureGates).length > 0) explicit.add('featureGates');
  merged['apiVersion'] = KUBELET_API_VERSION;
  merged['kind'] = KUBELET_KIND;

  const flags = kubeletFlags(commandLine, problems);
  const kernelet = await kerneletOptions(commandLine, problems);

  const gates = FeatureGates.fromMap(allGates);
  const kubelet = orderLikeSchema(merged) as unknown as KubeletConfiguration;
  problems.problems.push(...validateKubeletConfiguration(kubelet, gates));

  if (!problems.ok) return { ok: false, problems: problems.problems, warnings: problems.warnings };
  return {
    ok: true,
    options: {
      kubelet,
      flags,
      kernelet,
      explicitFields: explicit,
      featureGates: gates.toRecord(),
      warnings: problems.warnings,
      dropInFiles,
    },
  };
}

/**
 * Reads and decodes one KubeletConfiguration document. Relative paths in the --config file resolve
 * against its directory (the kubelet's fsLoader.Load). The kubelet reads drop-ins without
 * resolving their paths, so a relative path there is relative to its working directory: kernelet
 * resolves it against `cwd`, as it does for the paths in flags.
 */
async function loadKubeletDocument(file: string, field: string, mode: DecodeMode, problems: ProblemList, cwd?: string): Promise<JsonObject | undefined> {
  const read = await readConfigDocument(file, field, problems);
  if (read === undefined) return undefined;
  for (const duplicate of read.duplicates) {
    if (mode === 'dropin') problems.add(duplicate, `duplicate field in drop-in ${file}`);
    else problems.warn(duplicate, `duplicate field, the last value wins as in the kubelet (${file})`);
  }
  // Fields that failed to decode are left out, so validation can still report everything else.
  return decodeKubeletConfiguration(read.document, { mode, source: file, baseDir: cwd ?? path.dirname(file), problems });
}

function gatesOf(config: JsonObject): Record<string, boolean> {
  const gates = config['featureGates'];
  return isJsonObject(gates) ? ({ ...gates } as Record<string, boolean>) : {};
}

function reportGateIssues(values: Record<string, boolean>, field: string, problems: ProblemList, commandLine: boolean): void {
  for (const issue of checkFeatureGates(values)) {
    const at = commandLine ? field : keyPath(field, issue.gate);
    if (issue.severity === 'error') problems.add(at, issue.message);
    else problems.warn(at, issue.message);
  }
}

function stringFlag(commandLine: ParsedCommandLine, key: string): string | undefined {
  const value = commandLine.flags[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function kubeletFlags(commandLine: ParsedCommandLine, problems: ProblemList): KubeletFlags {
  const given = commandLine.flags;
  const flags: KubeletFlags = {
    rootDir: stringFlag(commandLine, 'rootDir') ?? DEFAULT_ROOT_DIR,
    certDir: stringFlag(commandLine, 'certDir') ?? DEFAULT_CERT_DIR,
    nodeLabels: isJsonObject(given['nodeLabels']) ? (given['nodeLabels'] as Record<string, string>) : {},
    exitOnLockContention: given['exitOnLockContention'] === true,
  };
  const optional = ['config', 'configDir', 'kubeconfig', 'hostnameOverride', 'nodeIP', 'lockFile', 'imageCredentialProviderConfig', 'imageCredentialProviderBinDir'] as const;
  for (const key of optional) {
    const value = stringFlag(commandLine, key);
    if (value !== undefined) flags[key] = value;
  }
  if (flags.exitOnLockContention && flags.lockFile === undefined) {
    problems.add('--exit-on-lock-contention', 'cannot exit on lock file contention: no --lock-file given');
  }
  if (flags.nodeIP !== undefined) checkNodeIP(flags.nodeIP, problems);
  checkNodeLabels(flags.nodeLabels, problems);
  return flags;
}

function checkNodeIP(text: string, problems: ProblemList): void {
  const ips = text.split(',').map((ip) => ip.trim());
  if (ips.length > 2 || ips.some((ip) => ip === '' || !isIPAddress(ip))) {
    problems.add('--node-ip', `"${text}" must be one IP address or two comma-separated (dual stack)`);
  }
}

function isIPAddress(text: string): boolean {
  return /^(\d{1,3}\.){3}\d{1,3}$/.test(text) ? text.split('.').every((o) => Number(o) <= 255) : /^[0-9a-fA-F:]+$/.test(text) && text.includes(':');
}

async function kerneletOptions(commandLine: ParsedCommandLine, problems: ProblemList): Promise<KerneletOptions> {
  const options = defaultKerneletOptions();
  const given = commandLine.kernelet;
  const file = typeof given['kerneletConfigFile'] === 'string' ? given['kerneletConfigFile'] : undefined;
  if (file !== undefined && file !== '') {
    options.kerneletConfigFile = file;
    const read = await readConfigDocument(file, '--kernelet-config', problems);
    if (read !== undefined) {
      for (const duplicate of read.duplicates) problems.add(`${file}#${duplicate}`, 'duplicate field');
      decodeKerneletConfiguration(read.document, file, options, problems);
    }
  }
  const plugins = given['plugins'];
  if (Array.isArray(plugins)) {
    options.plugins = (plugins as JsonValue[]).filter((p): p is string => typeof p === 'string' && p !== '');
    for (const name of options.plugins) options.pluginFailurePolicies[name] ??= 'Fail';
  }
  const isolation = given['pluginIsolation'];
  if (isolation !== undefined) {
    if (isolation === 'shared' || isolation === 'process') options.pluginIsolation = isolation;
    else problems.add('--plugin-isolation', `unknown value ${JSON.stringify(isolation)} (valid: shared, process)`);
  }
  if (typeof given['pluginCallTimeout'] === 'string') {
    const ms = timeoutMs(given['pluginCallTimeout'], '--plugin-call-timeout', problems);
    if (ms !== undefined) options.pluginCallTimeoutMs = ms;
  }
  if (typeof given['pluginReadyTimeout'] === 'string') {
    const ms = timeoutMs(given['pluginReadyTimeout'], '--plugin-ready-timeout', problems);
    if (ms !== undefined) options.pluginReadyTimeoutMs = ms;
  }
  if (typeof given['podHousekeepingPeriod'] === 'string') {
    const ms = timeoutMs(given['podHousekeepingPeriod'], '--pod-housekeeping-period', problems);
    if (ms !== undefined) options.podHousekeepingPeriodMs = ms;
  }
  if (typeof given['machineInfoFile'] === 'string' && given['machineInfoFile'] !== '') options.machineInfoFile = given['machineInfoFile'];
  if (given['dryRun'] === true) options.dryRun = true;
  return options;
}

/** Puts apiVersion and kind first, then every field in declaration order (stable output for printing). */
function orderLikeSchema(config: JsonObject): JsonObject {
  const { apiVersion, kind, ...rest } = config;
  return { apiVersion, kind, ...rest } as JsonObject;
}
