/**
 * Upstream v1beta1 defaulting of KubeletConfiguration, and the legacy defaults the kubelet's
 * command line keeps when no --config file is given.
 *
 * As upstream: a plain field takes its default when it is unset or zero ("", 0, "0s");
 * a pointer field only when unset, so `healthzPort: 0` stays 0 (disabled) while `port: 0`
 * becomes 10250.
 */
import { isJsonObject, objectAt, type JsonObject, type JsonValue } from './json-value.js';

/** The Linux hard-eviction thresholds used when evictionHard is not configured at all. */
export const DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = Object.freeze({
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
  'imagefs.inodesFree': '5%',
});

export const DEFAULT_CONTAINER_RUNTIME_ENDPOINT = 'unix:///run/containerd/containerd.sock';
export const DEFAULT_ROOT_DIR = '/var/lib/kubelet';
export const DEFAULT_CERT_DIR = '/var/lib/kubelet/pki';
export const KUBELET_READ_ONLY_PORT = 10255;

type Mode = 'zero' | 'unset';

/** [path, default, when]: 'zero' = plain field (unset or zero), 'unset' = pointer field. */
const SIMPLE_DEFAULTS: readonly (readonly [string, JsonValue, Mode])[] = [
  ['enableServer', true, 'unset'],
  ['syncFrequency', '1m0s', 'zero'],
  ['fileCheckFrequency', '20s', 'zero'],
  ['httpCheckFrequency', '20s', 'zero'],
  ['address', '0.0.0.0', 'zero'],
  ['port', 10250, 'zero'],
  ['authentication.anonymous.enabled', false, 'unset'],
  ['authentication.webhook.enabled', true, 'unset'],
  ['authentication.webhook.cacheTTL', '2m0s', 'zero'],
  ['authorization.mode', 'Webhook', 'zero'],
  ['authorization.webhook.cacheAuthorizedTTL', '5m0s', 'zero'],
  ['authorization.webhook.cacheUnauthorizedTTL', '30s', 'zero'],
  ['registryPullQPS', 5, 'unset'],
  ['registryBurst', 10, 'zero'],
  ['eventRecordQPS', 50, 'unset'],
  ['eventBurst', 100, 'zero'],
  ['enableDebuggingHandlers', true, 'unset'],
  ['healthzPort', 10248, 'unset'],
  ['healthzBindAddress', '127.0.0.1', 'zero'],
  ['oomScoreAdj', -999, 'unset'],
  ['streamingConnectionIdleTimeout', '4h0m0s', 'zero'],
  // nodeStatusReportFrequency is handled below: it follows an explicit nodeStatusUpdateFrequency.
  ['nodeStatusUpdateFrequency', '10s', 'zero'],
  ['nodeLeaseDurationSeconds', 40, 'zero'],
  ['imageMinimumGCAge', '2m0s', 'zero'],
  ['imageMaximumGCAge', '0s', 'zero'],
  ['imageGCHighThresholdPercent', 85, 'unset'],
  ['imageGCLowThresholdPercent', 80, 'unset'],
  ['volumeStatsAggPeriod', '1m0s', 'zero'],
  ['cgroupsPerQOS', true, 'unset'],
  ['cgroupDriver', 'cgroupfs', 'zero'],
  ['cpuManagerPolicy', 'none', 'zero'],
  ['cpuManagerReconcilePeriod', '10s', 'zero'],
  ['memoryManagerPolicy', 'None', 'zero'],
  ['topologyManagerPolicy', 'none', 'zero'],
  ['topologyManagerScope', 'container', 'zero'],
  ['runtimeRequestTimeout', '2m0s', 'zero'],
  ['hairpinMode', 'promiscuous-bridge', 'zero'],
  ['maxPods', 110, 'zero'],
  ['resolvConf', '/etc/resolv.conf', 'unset'],
  ['cpuCFSQuota', true, 'unset'],
  ['cpuCFSQuotaPeriod', '100ms', 'unset'],
  ['nodeStatusMaxImages', 50, 'unset'],
  ['maxOpenFiles', 1000000, 'zero'],
  ['contentType', 'application/vnd.kubernetes.protobuf', 'zero'],
  ['kubeAPIQPS', 50, 'unset'],
  ['kubeAPIBurst', 100, 'zero'],
  ['evictionPressureTransitionPeriod', '5m0s', 'zero'],
  ['mergeDefaultEvictionSettings', false, 'unset'],
  ['enableControllerAttachDetach', true, 'unset'],
  ['makeIPTablesUtilChains', true, 'unset'],
  ['iptablesMasqueradeBit', 14, 'unset'],
  ['iptablesDropBit', 15, 'unset'],
  ['failSwapOn', true, 'unset'],
  ['containerLogMaxSize', '10Mi', 'zero'],
  ['containerLogMaxFiles', 5, 'unset'],
  ['containerLogMaxWorkers', 1, 'unset'],
  ['containerLogMonitorInterval', '10s', 'unset'],
  ['configMapAndSecretChangeDetectionStrategy', 'Watch', 'zero'],
  ['volumePluginDir', '/usr/libexec/kubernetes/kubelet-plugins/volume/exec/', 'zero'],
  ['logging.format', 'text', 'zero'],
  ['logging.flushFrequency', '5s', 'zero'],
  ['logging.verbosity', 0, 'zero'],
  ['logging.options.text.infoBufferSize', '0', 'zero'],
  ['logging.options.json.infoBufferSize', '0', 'zero'],
  ['enableSystemLogHandler', true, 'unset'],
  ['enableSystemLogQuery', false, 'unset'],
  ['shutdownGracePeriod', '0s', 'zero'],
  ['shutdownGracePeriodCriticalPods', '0s', 'zero'],
  ['enableProfilingHandler', true, 'unset'],
  ['enableDebugFlagsHandler', true, 'unset'],
  ['seccompDefault', false, 'unset'],
  ['failCgroupV1', false, 'unset'],
  ['memoryThrottlingFactor', 0.9, 'unset'],
  ['registerNode', true, 'unset'],
  ['localStorageCapacityIsolation', true, 'unset'],
  ['containerRuntimeEndpoint', DEFAULT_CONTAINER_RUNTIME_ENDPOINT, 'zero'],
  ['podLogsDir', '/var/log/pods', 'zero'],
];

/** Structs that are not pointers upstream: always present, so always printed. */
const ALWAYS_PRESENT_STRUCTS: readonly string[] = [
  'authentication.x509',
  'authentication.webhook',
  'authentication.anonymous',
  'authorization.webhook',
  'memorySwap',
  'crashLoopBackOff',
];

export interface DefaultingGates {
  enabled(gate: string): boolean;
}

/**
 * Applies the upstream v1beta1 defaults in place. `gates` are the feature gates in effect
 * (command line and this configuration's featureGates), which a few defaults depend on.
 */
export function applyKubeletDefaults(config: JsonObject, gates: DefaultingGates): JsonObject {
  const reportUnset = isZero(config['nodeStatusReportFrequency']);
  const updateUnset = isZero(config['nodeStatusUpdateFrequency']);
  if (reportUnset) {
    config['nodeStatusReportFrequency'] = updateUnset ? '5m0s' : (config['nodeStatusUpdateFrequency'] as JsonValue);
  }
  for (const [path, value, mode] of SIMPLE_DEFAULTS) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    const parent = objectAt(config, keys);
    const current = parent[last];
    if (current === undefined || (mode === 'zero' && isZero(current))) parent[last] = value;
  }
  for (const path of ALWAYS_PRESENT_STRUCTS) objectAt(config, path.split('.'));

  const pidsLimit = config['podPidsLimit'];
  if (typeof pidsLimit !== 'number' || pidsLimit < 0) config['podPidsLimit'] = -1;

  if (config['serializeImagePulls'] === undefined) {
    const parallel = config['maxParallelImagePulls'];
    config['serializeImagePulls'] = typeof parallel !== 'number' || parallel < 2;
  }
  if (config['enforceNodeAllocatable'] === undefined) config['enforceNodeAllocatable'] = ['pods'];

  if (gates.enabled('KubeletCrashLoopBackOffMax')) {
    const crashLoop = objectAt(config, ['crashLoopBackOff']);
    if (crashLoop['maxContainerRestartPeriod'] === undefined) crashLoop['maxContainerRestartPeriod'] = '5m0s';
  }
  if (gates.enabled('KubeletEnsureSecretPulledImages') && isZero(config['imagePullCredentialsVerificationPolicy'])) {
    config['imagePullCredentialsVerificationPolicy'] = 'NeverVerifyPreloadedImages';
  }
  return config;
}

/**
 * The kubelet fills the --config file's evictionHard with the Linux defaults when the file has
 * none (an explicit empty map stays empty, as upstream); with the file's
 * mergeDefaultEvictionSettings, signals it does not configure inherit their defaults. This runs
 * on the file alone, before drop-ins and flags.
 */
export function applyEvictionDefaults(config: JsonObject): void {
  const hard = config['evictionHard'];
  if (hard === undefined || hard === null) {
    config['evictionHard'] = { ...DEFAULT_EVICTION_HARD };
  } else if (config['mergeDefaultEvictionSettings'] === true && isJsonObject(hard)) {
    for (const [signal, value] of Object.entries(DEFAULT_EVICTION_HARD)) {
      if (hard[signal] === undefined) hard[signal] = value;
    }
  }
}

/**
 * The command line's own defaults, used as the base when no --config file is given: anonymous
 * authentication on, webhook authentication off, AlwaysAllow authorization, read-only port 10255.
 */
export function applyLegacyFlagDefaults(config: JsonObject): void {
  objectAt(config, ['authentication', 'anonymous'])['enabled'] = true;
  objectAt(config, ['authentication', 'webhook'])['enabled'] = false;
  objectAt(config, ['authorization'])['mode'] = 'AlwaysAllow';
  config['readOnlyPort'] = KUBELET_READ_ONLY_PORT;
}

function isZero(value: JsonValue | undefined): boolean {
  return value === undefined || value === null || value === '' || value === 0 || value === '0s';
}
