/**
 * The shape of KubeletConfiguration (kubelet.config.k8s.io/v1beta1) as data: every field in the
 * upstream declaration order, with its wire type, whether it is a pointer (so an explicit zero
 * is kept and printed), whether it is printed when empty, and whether it holds a file path.
 *
 * One table drives decoding (type checks with field paths, unknown fields), drop-in merging
 * (structs by field, maps by key, lists whole), path resolution and the /configz rendering.
 */

export type FieldType =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'float' }
  /** metav1.Duration: a string like "1m30s". */
  | { kind: 'duration' }
  /** resource.Quantity: a string or a number, printed in canonical form. */
  | { kind: 'quantity' }
  /** logging's flushFrequency: a duration string or an integer of nanoseconds. */
  | { kind: 'timeOrDuration' }
  /** metav1.Time: an RFC 3339 string. */
  | { kind: 'time' }
  | { kind: 'map'; value: FieldType }
  | { kind: 'list'; item: FieldType }
  | { kind: 'struct'; fields: readonly FieldSpec[] };

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** A Go pointer: unset and zero differ; printed whenever set. */
  pointer?: boolean;
  /** No `omitempty`: printed even when zero. Structs that are not pointers are always printed. */
  always?: boolean;
  /** A file path: relative values in a config file resolve against the file's directory. */
  path?: boolean;
}

const STRING: FieldType = { kind: 'string' };
const BOOL: FieldType = { kind: 'bool' };
const INT32: FieldType = { kind: 'int', min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32: FieldType = { kind: 'int', min: 0, max: 2 ** 32 - 1 };
const INT64: FieldType = { kind: 'int', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
const FLOAT: FieldType = { kind: 'float' };
const DURATION: FieldType = { kind: 'duration' };
const QUANTITY: FieldType = { kind: 'quantity' };
const STRING_MAP: FieldType = { kind: 'map', value: STRING };
const STRING_LIST: FieldType = { kind: 'list', item: STRING };

const struct = (...fields: FieldSpec[]): FieldType => ({ kind: 'struct', fields });
const field = (name: string, type: FieldType, extra: Omit<FieldSpec, 'name' | 'type'> = {}): FieldSpec => ({
  name,
  type,
  ...extra,
});
const ptr = (name: string, type: FieldType, extra: Omit<FieldSpec, 'name' | 'type' | 'pointer'> = {}): FieldSpec =>
  field(name, type, { ...extra, pointer: true });

const OUTPUT_ROUTING = struct(field('splitStream', BOOL), field('infoBufferSize', QUANTITY, { always: true }));

export const LOGGING_FIELDS: readonly FieldSpec[] = [
  field('format', STRING),
  field('flushFrequency', { kind: 'timeOrDuration' }, { always: true }),
  field('verbosity', UINT32, { always: true }),
  field('vmodule', { kind: 'list', item: struct(field('filePattern', STRING, { always: true }), field('verbosity', UINT32, { always: true })) }),
  field('options', struct(field('text', OUTPUT_ROUTING), field('json', OUTPUT_ROUTING))),
];

const TAINT = struct(
  field('key', STRING, { always: true }),
  field('value', STRING),
  field('effect', STRING, { always: true }),
  ptr('timeAdded', { kind: 'time' }),
);

/**
 * Every KubeletConfiguration field of the target release (v1.34), in the order upstream declares
 * (and /configz prints) them. Fields only later releases have (tlsCurvePreferences,
 * memoryReservationPolicy, draManagerReconcilePeriod) and proposals never merged
 * (podHousekeepingPeriod) are not here, so they are unknown fields, treated as the kubelet treats
 * unknown fields.
 */
export const KUBELET_CONFIGURATION_FIELDS: readonly FieldSpec[] = [
  ptr('enableServer', BOOL),
  field('staticPodPath', STRING, { path: true }),
  field('podLogsDir', STRING, { path: true }),
  field('syncFrequency', DURATION, { always: true }),
  field('fileCheckFrequency', DURATION, { always: true }),
  field('httpCheckFrequency', DURATION, { always: true }),
  field('staticPodURL', STRING),
  field('staticPodURLHeader', { kind: 'map', value: STRING_LIST }),
  field('address', STRING),
  field('port', INT32),
  field('readOnlyPort', INT32),
  field('tlsCertFile', STRING, { path: true }),
  field('tlsPrivateKeyFile', STRING, { path: true }),
  field('tlsCipherSuites', STRING_LIST),
  field('tlsMinVersion', STRING),
  field('rotateCertificates', BOOL),
  field('serverTLSBootstrap', BOOL),
  field(
    'authentication',
    struct(
      field('x509', struct(field('clientCAFile', STRING, { path: true }))),
      field('webhook', struct(ptr('enabled', BOOL), field('cacheTTL', DURATION, { always: true }))),
      field('anonymous', struct(ptr('enabled', BOOL))),
    ),
  ),
  field(
    'authorization',
    struct(
      field('mode', STRING),
      field('webhook', struct(field('cacheAuthorizedTTL', DURATION, { always: true }), field('cacheUnauthorizedTTL', DURATION, { always: true }))),
    ),
  ),
  ptr('registryPullQPS', INT32),
  field('registryBurst', INT32),
  field('imagePullCredentialsVerificationPolicy', STRING),
  field('preloadedImagesVerificationAllowlist', STRING_LIST),
  ptr('eventRecordQPS', INT32),
  field('eventBurst', INT32),
  ptr('enableDebuggingHandlers', BOOL),
  field('enableContentionProfiling', BOOL),
  ptr('healthzPort', INT32),
  field('healthzBindAddress', STRING),
  ptr('oomScoreAdj', INT32),
  field('clusterDomain', STRING),
  field('clusterDNS', STRING_LIST),
  field('streamingConnectionIdleTimeout', DURATION, { always: true }),
  field('nodeStatusUpdateFrequency', DURATION, { always: true }),
  field('nodeStatusReportFrequency', DURATION, { always: true }),
  field('nodeLeaseDurationSeconds', INT32),
  field('imageMinimumGCAge', DURATION, { always: true }),
  field('imageMaximumGCAge', DURATION, { always: true }),
  ptr('imageGCHighThresholdPercent', INT32),
  ptr('imageGCLowThresholdPercent', INT32),
  field('volumeStatsAggPeriod', DURATION, { always: true }),
  field('kubeletCgroups', STRING),
  field('systemCgroups', STRING),
  field('cgroupRoot', STRING),
  ptr('cgroupsPerQOS', BOOL),
  field('cgroupDriver', STRING),
  field('cpuManagerPolicy', STRING),
  ptr('singleProcessOOMKill', BOOL),
  field('cpuManagerPolicyOptions', STRING_MAP),
  field('cpuManagerReconcilePeriod', DURATION, { always: true }),
  field('memoryManagerPolicy', STRING),
  field('topologyManagerPolicy', STRING),
  field('topologyManagerScope', STRING),
  field('topologyManagerPolicyOptions', STRING_MAP),
  field('qosReserved', STRING_MAP),
  field('runtimeRequestTimeout', DURATION, { always: true }),
  field('hairpinMode', STRING),
  field('maxPods', INT32),
  field('podCIDR', STRING),
  ptr('podPidsLimit', INT64),
  ptr('resolvConf', STRING, { path: true }),
  field('runOnce', BOOL),
  ptr('cpuCFSQuota', BOOL),
  ptr('cpuCFSQuotaPeriod', DURATION),
  ptr('nodeStatusMaxImages', INT32),
  field('maxOpenFiles', INT64),
  field('contentType', STRING),
  ptr('kubeAPIQPS', INT32),
  field('kubeAPIBurst', INT32),
  ptr('serializeImagePulls', BOOL),
  ptr('maxParallelImagePulls', INT32),
  field('evictionHard', STRING_MAP),
  field('evictionSoft', STRING_MAP),
  field('evictionSoftGracePeriod', STRING_MAP),
  field('evictionPressureTransitionPeriod', DURATION, { always: true }),
  field('evictionMaxPodGracePeriod', INT32),
  field('evictionMinimumReclaim', STRING_MAP),
  ptr('mergeDefaultEvictionSettings', BOOL),
  field('podsPerCore', INT32),
  ptr('enableControllerAttachDetach', BOOL),
  field('protectKernelDefaults', BOOL),
  ptr('makeIPTablesUtilChains', BOOL),
  ptr('iptablesMasqueradeBit', INT32),
  ptr('iptablesDropBit', INT32),
  field('featureGates', { kind: 'map', value: BOOL }),
  ptr('failSwapOn', BOOL),
  field('memorySwap', struct(field('swapBehavior', STRING))),
  field('containerLogMaxSize', STRING),
  ptr('containerLogMaxFiles', INT32),
  ptr('containerLogMaxWorkers', INT32),
  ptr('containerLogMonitorInterval', DURATION),
  field('configMapAndSecretChangeDetectionStrategy', STRING),
  field('systemReserved', STRING_MAP),
  field('kubeReserved', STRING_MAP),
  field('reservedSystemCPUs', STRING),
  field('showHiddenMetricsForVersion', STRING),
  field('systemReservedCgroup', STRING),
  field('kubeReservedCgroup', STRING),
  field('enforceNodeAllocatable', STRING_LIST),
  field('allowedUnsafeSysctls', STRING_LIST),
  field('volumePluginDir', STRING, { path: true }),
  field('providerID', STRING),
  field('kernelMemcgNotification', BOOL),
  field('logging', struct(...LOGGING_FIELDS)),
  ptr('enableSystemLogHandler', BOOL),
  ptr('enableSystemLogQuery', BOOL),
  field('shutdownGracePeriod', DURATION, { always: true }),
  field('shutdownGracePeriodCriticalPods', DURATION, { always: true }),
  field(
    'shutdownGracePeriodByPodPriority',
    { kind: 'list', item: struct(field('priority', INT32, { always: true }), field('shutdownGracePeriodSeconds', INT64, { always: true })) },
  ),
  field('crashLoopBackOff', struct(ptr('maxContainerRestartPeriod', DURATION))),
  field(
    'reservedMemory',
    { kind: 'list', item: struct(field('numaNode', INT32, { always: true }), field('limits', { kind: 'map', value: QUANTITY }, { always: true })) },
  ),
  ptr('enableProfilingHandler', BOOL),
  ptr('enableDebugFlagsHandler', BOOL),
  ptr('seccompDefault', BOOL),
  ptr('memoryThrottlingFactor', FLOAT),
  field('registerWithTaints', { kind: 'list', item: TAINT }),
  ptr('registerNode', BOOL),
  ptr('tracing', struct(field('endpoint', STRING), ptr('samplingRatePerMillion', INT32))),
  ptr('localStorageCapacityIsolation', BOOL),
  field('containerRuntimeEndpoint', STRING, { always: true }),
  field('imageServiceEndpoint', STRING),
  ptr('failCgroupV1', BOOL),
  ptr('userNamespaces', struct(ptr('idsPerPod', INT64))),
];

/** The kubelet release whose configuration, flags and feature gates kernelet follows. */
export const TARGET_RELEASE = Object.freeze({ major: 1, minor: 34 });

export const KUBELET_API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const KUBELET_KIND = 'KubeletConfiguration';

/** Looks a field up by its exact name. */
export function fieldByName(fields: readonly FieldSpec[], name: string): FieldSpec | undefined {
  return fields.find((f) => f.name === name);
}

/** Looks a field up ignoring case, as Go's encoding/json matches object keys to struct fields. */
export function fieldByNameIgnoringCase(fields: readonly FieldSpec[], name: string): FieldSpec | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower);
}
