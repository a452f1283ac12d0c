/**
 * KubeletConfiguration, kubelet.config.k8s.io/v1beta1, in its JSON field names.
 *
 * Values are held as they appear on the wire: durations as Go duration text in canonical
 * form ("1m0s"), quantities inside maps as the operator wrote them ("100Mi", "10%").
 * Fields the defaults always fill are required; the rest are optional (unset).
 * `schema.ts` describes the same fields as data, in declaration order.
 */

/** Go duration text, canonical ("1m0s", "100ms"). Parse with `parseDuration`. */
export type GoDuration = string;

export interface KubeletX509Authentication {
  clientCAFile?: string;
}

export interface KubeletWebhookAuthentication {
  enabled?: boolean;
  cacheTTL?: GoDuration;
}

export interface KubeletAnonymousAuthentication {
  enabled?: boolean;
}

export interface KubeletAuthentication {
  x509?: KubeletX509Authentication;
  webhook?: KubeletWebhookAuthentication;
  anonymous?: KubeletAnonymousAuthentication;
}

export type KubeletAuthorizationMode = 'AlwaysAllow' | 'Webhook' | (string & {});

export interface KubeletAuthorization {
  mode?: KubeletAuthorizationMode;
  webhook?: { cacheAuthorizedTTL?: GoDuration; cacheUnauthorizedTTL?: GoDuration };
}

export interface MemoryReservation {
  numaNode: number;
  /** Resource name ("memory", "hugepages-1Gi") to canonical quantity text. */
  limits: Record<string, string>;
}

export interface ShutdownGracePeriodByPodPriority {
  priority: number;
  shutdownGracePeriodSeconds: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface OutputRoutingOptions {
  splitStream?: boolean;
  infoBufferSize?: string;
}

export interface LoggingConfiguration {
  format?: string;
  /** Duration text, or nanoseconds when written as a number. */
  flushFrequency?: GoDuration | number;
  verbosity?: number;
  vmodule?: { filePattern: string; verbosity: number }[];
  options?: { text?: OutputRoutingOptions; json?: OutputRoutingOptions };
}

export interface TracingConfiguration {
  endpoint?: string;
  samplingRatePerMillion?: number;
}

export interface KubeletConfiguration {
  apiVersion: 'kubelet.config.k8s.io/v1beta1';
  kind: 'KubeletConfiguration';
  enableServer: boolean;
  staticPodPath?: string;
  podLogsDir: string;
  syncFrequency: GoDuration;
  fileCheckFrequency: GoDuration;
  httpCheckFrequency: GoDuration;
  staticPodURL?: string;
  staticPodURLHeader?: Record<string, string[]>;
  address: string;
  port: number;
  readOnlyPort?: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  tlsCipherSuites?: string[];
  tlsMinVersion?: string;
  rotateCertificates?: boolean;
  serverTLSBootstrap?: boolean;
  authentication: KubeletAuthentication;
  authorization: KubeletAuthorization;
  registryPullQPS: number;
  registryBurst: number;
  imagePullCredentialsVerificationPolicy?: string;
  preloadedImagesVerificationAllowlist?: string[];
  eventRecordQPS: number;
  eventBurst: number;
  enableDebuggingHandlers: boolean;
  enableContentionProfiling?: boolean;
  healthzPort: number;
  healthzBindAddress: string;
  oomScoreAdj: number;
  clusterDomain?: string;
  clusterDNS?: string[];
  streamingConnectionIdleTimeout: GoDuration;
  nodeStatusUpdateFrequency: GoDuration;
  nodeStatusReportFrequency: GoDuration;
  nodeLeaseDurationSeconds: number;
  imageMinimumGCAge: GoDuration;
  imageMaximumGCAge?: GoDuration;
  imageGCHighThresholdPercent: number;
  imageGCLowThresholdPercent: number;
  volumeStatsAggPeriod: GoDuration;
  kubeletCgroups?: string;
  systemCgroups?: string;
  cgroupRoot?: string;
  cgroupsPerQOS: boolean;
  cgroupDriver: string;
  cpuManagerPolicy: string;
  singleProcessOOMKill?: boolean;
  cpuManagerPolicyOptions?: Record<string, string>;
  cpuManagerReconcilePeriod: GoDuration;
  memoryManagerPolicy: string;
  topologyManagerPolicy: string;
  topologyManagerScope: string;
  topologyManagerPolicyOptions?: Record<string, string>;
  qosReserved?: Record<string, string>;
  runtimeRequestTimeout: GoDuration;
  hairpinMode: string;
  maxPods: number;
  podCIDR?: string;
  podPidsLimit: number;
  resolvConf: string;
  runOnce?: boolean;
  cpuCFSQuota: boolean;
  cpuCFSQuotaPeriod: GoDuration;
  nodeStatusMaxImages: number;
  maxOpenFiles: number;
  contentType: string;
  kubeAPIQPS: number;
  kubeAPIBurst: number;
  serializeImagePulls: boolean;
  maxParallelImagePulls?: number;
  evictionHard: Record<string, string>;
  evictionSoft?: Record<string, string>;
  evictionSoftGracePeriod?: Record<string, string>;
  evictionPressureTransitionPeriod: GoDuration;
  evictionMaxPodGracePeriod?: number;
  evictionMinimumReclaim?: Record<string, string>;
  mergeDefaultEvictionSettings: boolean;
  podsPerCore?: number;
  enableControllerAttachDetach: boolean;
  protectKernelDefaults?: boolean;
  makeIPTablesUtilChains: boolean;
  iptablesMasqueradeBit: number;
  iptablesDropBit: number;
  featureGates?: Record<string, boolean>;
  failSwapOn: boolean;
  memorySwap: { swapBehavior?: string };
  containerLogMaxSize: string;
  containerLogMaxFiles: number;
  containerLogMaxWorkers: number;
  containerLogMonitorInterval: GoDuration;
  configMapAndSecretChangeDetectionStrategy: string;
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
  reservedSystemCPUs?: string;
  showHiddenMetricsForVersion?: string;
  systemReservedCgroup?: string;
  kubeReservedCgroup?: string;
  enforceNodeAllocatable: string[];
  allowedUnsafeSysctls?: string[];
  volumePluginDir: string;
  providerID?: string;
  kernelMemcgNotification?: boolean;
  logging: LoggingConfiguration;
  enableSystemLogHandler: boolean;
  enableSystemLogQuery: boolean;
  shutdownGracePeriod: GoDuration;
  shutdownGracePeriodCriticalPods: GoDuration;
  shutdownGracePeriodByPodPriority?: ShutdownGracePeriodByPodPriority[];
  crashLoopBackOff: { maxContainerRestartPeriod?: GoDuration };
  reservedMemory?: MemoryReservation[];
  enableProfilingHandler: boolean;
  enableDebugFlagsHandler: boolean;
  seccompDefault: boolean;
  memoryThrottlingFactor: number;
  registerWithTaints?: Taint[];
  registerNode: boolean;
  tracing?: TracingConfiguration;
  localStorageCapacityIsolation: boolean;
  containerRuntimeEndpoint: string;
  imageServiceEndpoint?: string;
  failCgroupV1: boolean;
  userNamespaces?: { idsPerPod?: number };
}

/** A configuration before defaulting: what a file, a drop-in or the flags wrote. */
export type KubeletConfigurationInput = { [K in keyof KubeletConfiguration]?: KubeletConfiguration[K] };
