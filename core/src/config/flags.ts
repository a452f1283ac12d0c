/**
 * The command line: the kubelet's flags (names, syntax and meaning as upstream) and kernelet's
 * own. Word separators are normalised as the kubelet does (`--max_pods` is `--max-pods`).
 *
 * A flag that maps to a KubeletConfiguration field replaces that field as a whole, as the
 * kubelet's flag types do (a map flag's first use clears the map). Repeatable flags
 * (`--reserved-memory`, `--manifest-url-header`, map and list flags) accumulate across uses.
 * Relative paths in flags resolve against the working directory.
 *
 * Deprecated flags work as upstream's do, each with one warning: the flags that set a
 * KubeletConfiguration field (upstream deprecates all but a few in favour of --config) and a few
 * others with their own reason. The kubelet's flags kernelet has no use for (cloud provider,
 * bootstrap kubeconfig, runtime cgroups, the deprecated container GC flags, ...) are accepted,
 * their values checked, and each gets one warning that it has no effect in kernelet.
 */
import * as path from 'node:path';
import { parseFeatureGateList } from './feature-gates.js';
import {
  FlagValueError,
  parseBoolValue,
  parseDurationValue,
  parseHeaderList,
  parseIntValue,
  parseIpValue,
  parseKeyValueMap,
  parseLabelMap,
  parseQuantityValue,
  parseReservedMemory,
  parseSingleKeyValue,
  parseStringList,
  parseTaints,
  parseVModule,
} from './flag-values.js';
import type { JsonObject, JsonValue } from './json-value.js';
import type { ConfigProblem } from './problem.js';

export type FlagGroup =
  | 'config'
  | 'node'
  | 'runtime'
  | 'pod-sources'
  | 'resources'
  | 'eviction'
  | 'server'
  | 'logging'
  | 'no-effect'
  | 'kernelet';

export type FlagType =
  | 'string'
  | 'path'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'duration'
  | 'ip'
  | 'stringList'
  | 'keyValueMap'
  | 'thresholdMap'
  | 'singleKeyValueMap'
  | 'headerMap'
  | 'labelMap'
  | 'reservedMemory'
  | 'quantity'
  | 'taints'
  | 'vmodule'
  | 'featureGates';

/** Where a flag's value goes. */
export type FlagTarget =
  | { kind: 'config'; path: readonly string[] }
  | { kind: 'flag'; key: string }
  | { kind: 'kernelet'; key: string }
  | { kind: 'featureGates' }
  | { kind: 'help' }
  | { kind: 'version' }
  /** A kubelet flag kernelet accepts (value checked) but has no use for. */
  | { kind: 'ignored' };

export interface FlagSpec {
  name: string;
  shorthand?: string;
  type: FlagType;
  group: FlagGroup;
  target: FlagTarget;
  /** The value placeholder in --help. */
  valueName?: string;
  /** Shown in --help as the default. */
  defaultText?: string;
  help: string;
  /** Why upstream deprecates the flag, when not only because --config should set it. */
  deprecated?: string;
}

const config = (...p: string[]): FlagTarget => ({ kind: 'config', path: p });
const flag = (key: string): FlagTarget => ({ kind: 'flag', key });
const kernelet = (key: string): FlagTarget => ({ kind: 'kernelet', key });
const ignored: FlagTarget = { kind: 'ignored' };

/** Config-backed flags upstream keeps undeprecated; every other one says "set it in --config". */
const NOT_DEPRECATED = new Set(['v', 'vmodule', 'log-flush-frequency', 'provider-id', 'seccomp-default', 'fail-cgroupv1']);
const CONTAINER_GC_DEPRECATION = 'use --eviction-hard or --eviction-soft instead; will be removed in a future version';

export const FLAG_SPECS: readonly FlagSpec[] = [
  // Configuration sources
  { name: 'config', type: 'path', group: 'config', target: flag('config'), valueName: 'FILE', help: 'KubeletConfiguration file (YAML or JSON). Relative paths inside it resolve against its directory. Command-line flags override it.' },
  { name: 'config-dir', type: 'path', group: 'config', target: flag('configDir'), valueName: 'DIR', help: 'Drop-in directory: every *.conf file in it (sorted by name, subdirectories included) is merged over --config, later files winning.' },
  { name: 'feature-gates', type: 'featureGates', group: 'config', target: { kind: 'featureGates' }, valueName: 'A=true,B=false', help: 'Feature gates. Gates from the command line have the lowest precedence: the config file and drop-ins override them.' },
  { name: 'help', shorthand: 'h', type: 'bool', group: 'config', target: { kind: 'help' }, help: 'Show this help.' },
  { name: 'version', type: 'bool', group: 'config', target: { kind: 'version' }, help: 'Print the version and quit.' },

  // Node identity and registration
  { name: 'root-dir', type: 'path', group: 'node', target: flag('rootDir'), valueName: 'DIR', defaultText: '/var/lib/kubelet', help: 'Directory for the agent\'s files (plugin sockets, checkpoints, volumes).' },
  { name: 'kubeconfig', type: 'path', group: 'node', target: flag('kubeconfig'), valueName: 'FILE', help: 'kubeconfig for the API server. Omit it to run standalone.' },
  { name: 'hostname-override', type: 'string', group: 'node', target: flag('hostnameOverride'), valueName: 'NAME', help: 'Use this name instead of the hostname to identify the node.' },
  { name: 'node-ip', type: 'string', group: 'node', target: flag('nodeIP'), valueName: 'IP[,IP]', help: 'The node\'s IP address (two, comma-separated, for dual stack).' },
  { name: 'node-labels', type: 'labelMap', group: 'node', target: flag('nodeLabels'), valueName: 'k=v,...', help: 'Labels to add when registering the node. Repeatable.' },
  { name: 'register-node', type: 'bool', group: 'node', target: config('registerNode'), defaultText: 'true', help: 'Register the node with the API server (needs --kubeconfig).' },
  { name: 'lock-file', type: 'path', group: 'node', target: flag('lockFile'), valueName: 'FILE', help: 'Lock file that keeps a second agent off this node: the agent waits for an exclusive lock on it before starting.' },
  { name: 'exit-on-lock-contention', type: 'bool', group: 'node', target: flag('exitOnLockContention'), defaultText: 'false', help: 'Exit when another process tries to take the --lock-file lock.' },
  { name: 'provider-id', type: 'string', group: 'node', target: config('providerID'), valueName: 'ID', help: 'Unique identifier of the node in a machine database, e.g. a cloud provider.' },
  { name: 'register-with-taints', type: 'taints', group: 'node', target: config('registerWithTaints'), valueName: 'key=value:effect,...', help: 'Taints to register the node with ("key=value:effect" or "key:effect", comma-separated). No-op unless --register-node.' },
  { name: 'node-status-update-frequency', type: 'duration', group: 'node', target: config('nodeStatusUpdateFrequency'), valueName: 'DURATION', defaultText: '10s', help: 'How often node status is computed (and posted when it changed).' },
  { name: 'node-status-max-images', type: 'int32', group: 'node', target: config('nodeStatusMaxImages'), valueName: 'N', defaultText: '50', help: 'Most images reported in Node.status.images; -1 for no cap.' },
  { name: 'kube-api-qps', type: 'int32', group: 'node', target: config('kubeAPIQPS'), valueName: 'QPS', defaultText: '50', help: 'QPS to the API server (events and heartbeats have their own limits).' },
  { name: 'kube-api-burst', type: 'int32', group: 'node', target: config('kubeAPIBurst'), valueName: 'N', defaultText: '100', help: 'Burst to the API server.' },
  { name: 'kube-api-content-type', type: 'string', group: 'node', target: config('contentType'), valueName: 'TYPE', defaultText: 'application/vnd.kubernetes.protobuf', help: 'Content type of requests sent to the API server.' },
  { name: 'event-qps', type: 'int32', group: 'node', target: config('eventRecordQPS'), valueName: 'QPS', defaultText: '50', help: 'Events created per second; 0 for no limit.' },
  { name: 'event-burst', type: 'int32', group: 'node', target: config('eventBurst'), valueName: 'N', defaultText: '100', help: 'Burst of event creations above --event-qps.' },
  { name: 'oom-score-adj', type: 'int32', group: 'node', target: config('oomScoreAdj'), valueName: 'N', defaultText: '-999', help: 'oom_score_adj of the agent process, in [-1000, 1000].' },
  { name: 'max-open-files', type: 'int64', group: 'node', target: config('maxOpenFiles'), valueName: 'N', defaultText: '1000000', help: 'Files the agent process may open.' },
  { name: 'volume-plugin-dir', type: 'path', group: 'node', target: config('volumePluginDir'), valueName: 'DIR', defaultText: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec/', help: 'Directory of third-party (FlexVolume) volume plugins.' },

  // Container runtime and images
  { name: 'container-runtime-endpoint', type: 'string', group: 'runtime', target: config('containerRuntimeEndpoint'), valueName: 'URL', defaultText: 'unix:///run/containerd/containerd.sock', help: 'CRI runtime service endpoint, e.g. unix:///run/containerd/containerd.sock.' },
  { name: 'image-service-endpoint', type: 'string', group: 'runtime', target: config('imageServiceEndpoint'), valueName: 'URL', help: 'CRI image service endpoint; defaults to --container-runtime-endpoint.' },
  { name: 'image-credential-provider-config', type: 'path', group: 'runtime', target: flag('imageCredentialProviderConfig'), valueName: 'FILE', help: 'CredentialProviderConfig file for image credential provider plugins.' },
  { name: 'image-credential-provider-bin-dir', type: 'path', group: 'runtime', target: flag('imageCredentialProviderBinDir'), valueName: 'DIR', help: 'Directory holding the credential provider plugin binaries.' },
  { name: 'runtime-request-timeout', type: 'duration', group: 'runtime', target: config('runtimeRequestTimeout'), valueName: 'DURATION', defaultText: '2m0s', help: 'Timeout of runtime requests other than pull, logs, exec and attach.' },
  { name: 'serialize-image-pulls', type: 'bool', group: 'runtime', target: config('serializeImagePulls'), defaultText: 'true', help: 'Pull images one at a time.' },
  { name: 'image-gc-high-threshold', type: 'int32', group: 'runtime', target: config('imageGCHighThresholdPercent'), valueName: 'PERCENT', defaultText: '85', help: 'Disk usage percent above which image garbage collection always runs.' },
  { name: 'image-gc-low-threshold', type: 'int32', group: 'runtime', target: config('imageGCLowThresholdPercent'), valueName: 'PERCENT', defaultText: '80', help: 'Disk usage percent image garbage collection frees down to.' },
  { name: 'container-log-max-size', type: 'string', group: 'runtime', target: config('containerLogMaxSize'), valueName: 'QUANTITY', defaultText: '10Mi', help: 'Size at which a container log file is rotated.' },
  { name: 'registry-qps', type: 'int32', group: 'runtime', target: config('registryPullQPS'), valueName: 'QPS', defaultText: '5', help: 'Image pulls per second; 0 for no limit.' },
  { name: 'registry-burst', type: 'int32', group: 'runtime', target: config('registryBurst'), valueName: 'N', defaultText: '10', help: 'Burst of image pulls above --registry-qps.' },
  { name: 'minimum-image-ttl-duration', type: 'duration', group: 'runtime', target: config('imageMinimumGCAge'), valueName: 'DURATION', defaultText: '2m0s', help: 'Minimum age of an unused image before it is garbage collected.' },
  { name: 'container-log-max-files', type: 'int32', group: 'runtime', target: config('containerLogMaxFiles'), valueName: 'N', defaultText: '5', help: 'Container log files kept per container (at least 2).' },

  // Pod sources and sync
  { name: 'pod-manifest-path', type: 'path', group: 'pod-sources', target: config('staticPodPath'), valueName: 'PATH', help: 'Directory of static pod files (or a single file) to run.' },
  { name: 'manifest-url', type: 'string', group: 'pod-sources', target: config('staticPodURL'), valueName: 'URL', help: 'URL to fetch static pod specifications from.' },
  { name: 'manifest-url-header', type: 'headerMap', group: 'pod-sources', target: config('staticPodURLHeader'), valueName: 'name:value,...', help: 'HTTP headers for --manifest-url. Repeatable; repeated names keep every value in order.' },
  { name: 'file-check-frequency', type: 'duration', group: 'pod-sources', target: config('fileCheckFrequency'), valueName: 'DURATION', defaultText: '20s', help: 'How often static pod files are checked for changes.' },
  { name: 'http-check-frequency', type: 'duration', group: 'pod-sources', target: config('httpCheckFrequency'), valueName: 'DURATION', defaultText: '20s', help: 'How often --manifest-url is checked for changes.' },
  { name: 'sync-frequency', type: 'duration', group: 'pod-sources', target: config('syncFrequency'), valueName: 'DURATION', defaultText: '1m0s', help: 'Longest time between syncs of running containers with their configuration.' },
  { name: 'max-pods', type: 'int32', group: 'pod-sources', target: config('maxPods'), valueName: 'N', defaultText: '110', help: 'Maximum number of pods on this node.' },
  { name: 'pod-max-pids', type: 'int64', group: 'pod-sources', target: config('podPidsLimit'), valueName: 'N', defaultText: '-1', help: 'Maximum processes per pod; -1 for the node\'s allocatable pids.' },
  { name: 'pods-per-core', type: 'int32', group: 'pod-sources', target: config('podsPerCore'), valueName: 'N', help: 'Maximum pods per core (never above --max-pods); 0 for no limit.' },
  { name: 'pod-cidr', type: 'string', group: 'pod-sources', target: config('podCIDR'), valueName: 'CIDR', help: 'CIDR for pod IP addresses, used in standalone mode only.' },
  { name: 'cluster-dns', type: 'stringList', group: 'pod-sources', target: config('clusterDNS'), valueName: 'IP,...', help: 'DNS server IPs for pods with dnsPolicy ClusterFirst, comma-separated.' },
  { name: 'cluster-domain', type: 'string', group: 'pod-sources', target: config('clusterDomain'), valueName: 'DOMAIN', help: 'Cluster DNS domain, added to the pods\' search domains.' },
  { name: 'resolv-conf', type: 'path', group: 'pod-sources', target: config('resolvConf'), valueName: 'FILE', defaultText: '/etc/resolv.conf', help: 'Resolver configuration the pods\' DNS configuration starts from; "" disables DNS lookups.' },
  { name: 'hairpin-mode', type: 'string', group: 'pod-sources', target: config('hairpinMode'), valueName: 'MODE', defaultText: 'promiscuous-bridge', help: 'Hairpin NAT setup: promiscuous-bridge, hairpin-veth or none.' },
  { name: 'volume-stats-agg-period', type: 'duration', group: 'pod-sources', target: config('volumeStatsAggPeriod'), valueName: 'DURATION', defaultText: '1m0s', help: 'How often volume disk usage is computed.' },
  { name: 'runonce', type: 'bool', group: 'pod-sources', target: config('runOnce'), help: 'Run-once mode; upstream refuses it (validation error).' },
  { name: 'allowed-unsafe-sysctls', type: 'stringList', group: 'pod-sources', target: config('allowedUnsafeSysctls'), valueName: 'LIST', help: 'Unsafe sysctls or patterns (ending in *) pods may set, comma-separated.' },
  { name: 'seccomp-default', type: 'bool', group: 'pod-sources', target: config('seccompDefault'), defaultText: 'false', help: 'Use RuntimeDefault as the default seccomp profile for all workloads.' },

  // Resources: cgroups, managers, reservations
  { name: 'cgroup-driver', type: 'string', group: 'resources', target: config('cgroupDriver'), valueName: 'cgroupfs|systemd', defaultText: 'cgroupfs', help: 'Driver used to manipulate cgroups on the host.' },
  { name: 'cgroups-per-qos', type: 'bool', group: 'resources', target: config('cgroupsPerQOS'), defaultText: 'true', help: 'Create the QoS cgroup hierarchy.' },
  { name: 'cgroup-root', type: 'string', group: 'resources', target: config('cgroupRoot'), valueName: 'CGROUP', help: 'Root cgroup for pods.' },
  { name: 'kubelet-cgroups', type: 'string', group: 'resources', target: config('kubeletCgroups'), valueName: 'CGROUP', help: 'Absolute name of the cgroup to run the agent in.' },
  { name: 'system-cgroups', type: 'string', group: 'resources', target: config('systemCgroups'), valueName: 'CGROUP', help: 'Absolute name of the cgroup for non-kernel processes outside containers (needs --cgroup-root).' },
  { name: 'cpu-manager-policy', type: 'string', group: 'resources', target: config('cpuManagerPolicy'), valueName: 'none|static', defaultText: 'none', help: 'CPU Manager policy.' },
  { name: 'cpu-manager-policy-options', type: 'singleKeyValueMap', group: 'resources', target: config('cpuManagerPolicyOptions'), valueName: 'key=value', help: 'A CPU Manager policy option, e.g. full-pcpus-only=true. Repeatable.' },
  { name: 'cpu-manager-reconcile-period', type: 'duration', group: 'resources', target: config('cpuManagerReconcilePeriod'), valueName: 'DURATION', defaultText: '10s', help: 'CPU Manager reconciliation period.' },
  { name: 'reserved-cpus', type: 'string', group: 'resources', target: config('reservedSystemCPUs'), valueName: 'CPUSET', help: 'CPUs reserved for system and kubernetes daemons, e.g. 0-1,8; supersedes the cpu in --system-reserved and --kube-reserved.' },
  { name: 'topology-manager-policy', type: 'string', group: 'resources', target: config('topologyManagerPolicy'), valueName: 'POLICY', defaultText: 'none', help: 'Topology Manager policy: none, best-effort, restricted, single-numa-node.' },
  { name: 'topology-manager-scope', type: 'string', group: 'resources', target: config('topologyManagerScope'), valueName: 'container|pod', defaultText: 'container', help: 'Scope topology hints apply to.' },
  { name: 'topology-manager-policy-options', type: 'singleKeyValueMap', group: 'resources', target: config('topologyManagerPolicyOptions'), valueName: 'key=value', help: 'A Topology Manager policy option, e.g. prefer-closest-numa-nodes=true. Repeatable.' },
  { name: 'memory-manager-policy', type: 'string', group: 'resources', target: config('memoryManagerPolicy'), valueName: 'None|Static', defaultText: 'None', help: 'Memory Manager policy.' },
  { name: 'reserved-memory', type: 'reservedMemory', group: 'resources', target: config('reservedMemory'), valueName: 'N:type=qty,...', help: 'Memory reserved per NUMA node, e.g. 0:memory=1Gi,hugepages-1Gi=2Gi. Repeatable, or several nodes separated by ";". Per type, the sum must equal kube-reserved + system-reserved + the hard eviction threshold.' },
  { name: 'kube-reserved', type: 'keyValueMap', group: 'resources', target: config('kubeReserved'), valueName: 'res=qty,...', help: 'Resources reserved for kubernetes daemons, e.g. cpu=200m,memory=500Mi,ephemeral-storage=1Gi,pid=1000.' },
  { name: 'system-reserved', type: 'keyValueMap', group: 'resources', target: config('systemReserved'), valueName: 'res=qty,...', help: 'Resources reserved for the operating system\'s daemons, same syntax as --kube-reserved.' },
  { name: 'kube-reserved-cgroup', type: 'string', group: 'resources', target: config('kubeReservedCgroup'), valueName: 'CGROUP', help: 'Absolute name of the cgroup enforcing --kube-reserved.' },
  { name: 'system-reserved-cgroup', type: 'string', group: 'resources', target: config('systemReservedCgroup'), valueName: 'CGROUP', help: 'Absolute name of the cgroup enforcing --system-reserved.' },
  { name: 'enforce-node-allocatable', type: 'stringList', group: 'resources', target: config('enforceNodeAllocatable'), valueName: 'LIST', defaultText: 'pods', help: 'Node allocatable enforcement levels: none, pods, system-reserved, kube-reserved (and the -compressible forms).' },
  { name: 'qos-reserved', type: 'keyValueMap', group: 'resources', target: config('qosReserved'), valueName: 'res=percent,...', help: 'Share of pod requests reserved at the QoS level, e.g. memory=50% (needs feature gate QOSReserved).' },
  { name: 'cpu-cfs-quota', type: 'bool', group: 'resources', target: config('cpuCFSQuota'), defaultText: 'true', help: 'Enforce CPU limits with CFS quota.' },
  { name: 'cpu-cfs-quota-period', type: 'duration', group: 'resources', target: config('cpuCFSQuotaPeriod'), valueName: 'DURATION', defaultText: '100ms', help: 'CFS quota period (needs feature gate CustomCPUCFSQuotaPeriod to change).' },
  { name: 'enable-controller-attach-detach', type: 'bool', group: 'resources', target: config('enableControllerAttachDetach'), defaultText: 'true', help: 'Leave volume attach and detach to the attach/detach controller.' },
  { name: 'local-storage-capacity-isolation', type: 'bool', group: 'resources', target: config('localStorageCapacityIsolation'), defaultText: 'true', help: 'Isolate local ephemeral storage.' },
  { name: 'protect-kernel-defaults', type: 'bool', group: 'resources', target: config('protectKernelDefaults'), defaultText: 'false', help: 'Fail when kernel tunables differ from the kubelet\'s defaults instead of changing them.' },
  { name: 'make-iptables-util-chains', type: 'bool', group: 'resources', target: config('makeIPTablesUtilChains'), defaultText: 'true', help: 'Create the KUBE-IPTABLES-HINT chain.' },
  { name: 'fail-cgroupv1', type: 'bool', group: 'resources', target: config('failCgroupV1'), defaultText: 'false', help: 'Refuse to start on a cgroup v1 host.' },
  { name: 'fail-swap-on', type: 'bool', group: 'resources', target: config('failSwapOn'), defaultText: 'true', help: 'Refuse to start when swap is enabled on the node.' },

  // Eviction
  { name: 'eviction-hard', type: 'thresholdMap', group: 'eviction', target: config('evictionHard'), valueName: 'signal<qty,...', defaultText: 'imagefs.available<15%, imagefs.inodesFree<5%, memory.available<100Mi, nodefs.available<10%, nodefs.inodesFree<5%', help: 'Hard eviction thresholds, e.g. memory.available<1Gi.' },
  { name: 'eviction-soft', type: 'thresholdMap', group: 'eviction', target: config('evictionSoft'), valueName: 'signal<qty,...', help: 'Soft eviction thresholds, each needing a grace period.' },
  { name: 'eviction-soft-grace-period', type: 'keyValueMap', group: 'eviction', target: config('evictionSoftGracePeriod'), valueName: 'signal=duration,...', help: 'Grace periods of the soft thresholds, e.g. memory.available=1m30s.' },
  { name: 'eviction-minimum-reclaim', type: 'keyValueMap', group: 'eviction', target: config('evictionMinimumReclaim'), valueName: 'signal=qty,...', help: 'Minimum amount reclaimed once eviction starts, e.g. imagefs.available=2Gi.' },
  { name: 'eviction-pressure-transition-period', type: 'duration', group: 'eviction', target: config('evictionPressureTransitionPeriod'), valueName: 'DURATION', defaultText: '5m0s', help: 'How long to wait before leaving an eviction pressure condition.' },
  { name: 'kernel-memcg-notification', type: 'bool', group: 'eviction', target: config('kernelMemcgNotification'), defaultText: 'false', help: 'Learn of memory thresholds from kernel memcg notifications instead of polling.' },
  { name: 'eviction-max-pod-grace-period', type: 'int32', group: 'eviction', target: config('evictionMaxPodGracePeriod'), valueName: 'SECONDS', help: 'Maximum grace period for pods evicted on a soft threshold.' },

  // Server, authentication, authorization
  { name: 'address', type: 'ip', group: 'server', target: config('address'), valueName: 'IP', defaultText: '0.0.0.0', help: 'Address the kubelet API serves on.' },
  { name: 'port', type: 'int32', group: 'server', target: config('port'), valueName: 'PORT', defaultText: '10250', help: 'Port of the kubelet API.' },
  { name: 'read-only-port', type: 'int32', group: 'server', target: config('readOnlyPort'), valueName: 'PORT', defaultText: '10255 without --config, else 0', help: 'Unauthenticated read-only port; 0 disables it.' },
  { name: 'healthz-port', type: 'int32', group: 'server', target: config('healthzPort'), valueName: 'PORT', defaultText: '10248', help: 'Port of the healthz endpoint; 0 disables it.' },
  { name: 'healthz-bind-address', type: 'ip', group: 'server', target: config('healthzBindAddress'), valueName: 'IP', defaultText: '127.0.0.1', help: 'Address of the healthz endpoint.' },
  { name: 'enable-server', type: 'bool', group: 'server', target: config('enableServer'), defaultText: 'true', help: 'Serve the kubelet API.' },
  { name: 'enable-debugging-handlers', type: 'bool', group: 'server', target: config('enableDebuggingHandlers'), defaultText: 'true', help: 'Serve logs, exec, attach and port-forward.' },
  { name: 'contention-profiling', type: 'bool', group: 'server', target: config('enableContentionProfiling'), defaultText: 'false', help: 'Enable block profiling when profiling is on.' },
  { name: 'streaming-connection-idle-timeout', type: 'duration', group: 'server', target: config('streamingConnectionIdleTimeout'), valueName: 'DURATION', defaultText: '4h0m0s', help: 'Idle time after which a streaming connection is closed.' },
  { name: 'tls-cert-file', type: 'path', group: 'server', target: config('tlsCertFile'), valueName: 'FILE', help: 'Serving certificate (intermediates after it). Without it a self-signed one is made in --cert-dir.' },
  { name: 'tls-private-key-file', type: 'path', group: 'server', target: config('tlsPrivateKeyFile'), valueName: 'FILE', help: 'Private key of --tls-cert-file.' },
  { name: 'tls-cipher-suites', type: 'stringList', group: 'server', target: config('tlsCipherSuites'), valueName: 'LIST', help: 'Cipher suites of the server, comma-separated (Go names); omitted: Go\'s defaults.' },
  { name: 'tls-min-version', type: 'string', group: 'server', target: config('tlsMinVersion'), valueName: 'VERSION', help: 'Minimum TLS version: VersionTLS12 or VersionTLS13.' },
  { name: 'rotate-certificates', type: 'bool', group: 'server', target: config('rotateCertificates'), defaultText: 'false', help: 'Rotate the client certificate through the certificates.k8s.io API.' },
  { name: 'rotate-server-certificates', type: 'bool', group: 'server', target: config('serverTLSBootstrap'), defaultText: 'false', help: 'Request and rotate the serving certificate through the certificates.k8s.io API.' },
  { name: 'cert-dir', type: 'path', group: 'server', target: flag('certDir'), valueName: 'DIR', defaultText: '/var/lib/kubelet/pki', help: 'Directory of the TLS certificates.' },
  { name: 'client-ca-file', type: 'path', group: 'server', target: config('authentication', 'x509', 'clientCAFile'), valueName: 'FILE', help: 'CA bundle that authenticates client certificates.' },
  { name: 'anonymous-auth', type: 'bool', group: 'server', target: config('authentication', 'anonymous', 'enabled'), defaultText: 'true without --config, else false', help: 'Allow anonymous requests to the kubelet API.' },
  { name: 'authentication-token-webhook', type: 'bool', group: 'server', target: config('authentication', 'webhook', 'enabled'), defaultText: 'false without --config, else true', help: 'Authenticate bearer tokens with the TokenReview API.' },
  { name: 'authentication-token-webhook-cache-ttl', type: 'duration', group: 'server', target: config('authentication', 'webhook', 'cacheTTL'), valueName: 'DURATION', defaultText: '2m0s', help: 'How long token review results are cached.' },
  { name: 'authorization-mode', type: 'string', group: 'server', target: config('authorization', 'mode'), valueName: 'AlwaysAllow|Webhook', defaultText: 'AlwaysAllow without --config, else Webhook', help: 'Authorization mode of the kubelet API.' },
  { name: 'authorization-webhook-cache-authorized-ttl', type: 'duration', group: 'server', target: config('authorization', 'webhook', 'cacheAuthorizedTTL'), valueName: 'DURATION', defaultText: '5m0s', help: 'How long "authorized" answers of the webhook authorizer are cached.' },
  { name: 'authorization-webhook-cache-unauthorized-ttl', type: 'duration', group: 'server', target: config('authorization', 'webhook', 'cacheUnauthorizedTTL'), valueName: 'DURATION', defaultText: '30s', help: 'How long "unauthorized" answers of the webhook authorizer are cached.' },

  // Logging
  { name: 'v', shorthand: 'v', type: 'uint32', group: 'logging', target: config('logging', 'verbosity'), valueName: 'LEVEL', defaultText: '0', help: 'Log verbosity.' },
  { name: 'vmodule', type: 'vmodule', group: 'logging', target: config('logging', 'vmodule'), valueName: 'pattern=N,...', help: 'Per-file verbosity (text format only).' },
  { name: 'log-flush-frequency', type: 'duration', group: 'logging', target: config('logging', 'flushFrequency'), valueName: 'DURATION', defaultText: '5s', help: 'Longest time between log flushes.' },
  { name: 'logging-format', type: 'string', group: 'logging', target: config('logging', 'format'), valueName: 'FORMAT', defaultText: 'text', help: 'Log format: text or json.' },
  { name: 'log-text-split-stream', type: 'bool', group: 'logging', target: config('logging', 'options', 'text', 'splitStream'), help: 'Text format: errors to stderr, info to stdout (needs feature gate LoggingAlphaOptions).' },
  { name: 'log-text-info-buffer-size', type: 'quantity', group: 'logging', target: config('logging', 'options', 'text', 'infoBufferSize'), valueName: 'QUANTITY', help: 'Text format with split streams: buffer for info messages (needs feature gate LoggingAlphaOptions).' },

  // Kubelet flags kernelet accepts but has no use for
  { name: 'bootstrap-kubeconfig', type: 'path', group: 'no-effect', target: ignored, valueName: 'FILE', help: 'kubeconfig for requesting a client certificate (TLS bootstrap).' },
  { name: 'cloud-provider', type: 'string', group: 'no-effect', target: ignored, valueName: 'NAME', help: 'Cloud provider ("" or external).' },
  { name: 'runtime-cgroups', type: 'string', group: 'no-effect', target: ignored, valueName: 'CGROUP', help: 'Cgroup to create and run the container runtime in.' },
  { name: 'pod-infra-container-image', type: 'string', group: 'no-effect', target: ignored, valueName: 'IMAGE', deprecated: 'will be removed in 1.35; the image garbage collector gets the sandbox image from the CRI', help: 'Sandbox image kept from image garbage collection.' },
  { name: 'experimental-mounter-path', type: 'path', group: 'no-effect', target: ignored, valueName: 'FILE', deprecated: 'will be removed in 1.25 or later, in favor of using CSI', help: 'Mounter binary to use instead of mount.' },
  { name: 'experimental-allocatable-ignore-eviction', type: 'bool', group: 'no-effect', target: ignored, deprecated: 'will be removed in 1.25 or later', help: 'Leave hard eviction thresholds out of node allocatable.' },
  { name: 'minimum-container-ttl-duration', type: 'duration', group: 'no-effect', target: ignored, valueName: 'DURATION', deprecated: CONTAINER_GC_DEPRECATION, help: 'Minimum age of a finished container before garbage collection.' },
  { name: 'maximum-dead-containers-per-container', type: 'int32', group: 'no-effect', target: ignored, valueName: 'N', deprecated: CONTAINER_GC_DEPRECATION, help: 'Dead containers kept per container.' },
  { name: 'maximum-dead-containers', type: 'int32', group: 'no-effect', target: ignored, valueName: 'N', deprecated: CONTAINER_GC_DEPRECATION, help: 'Dead containers kept in total.' },

  // kernelet's own
  { name: 'kernelet-config', type: 'path', group: 'kernelet', target: kernelet('kerneletConfigFile'), valueName: 'FILE', help: 'KerneletConfiguration file (kernelet.io/v1alpha1): plugin set, per-plugin settings, isolation, call timeout, machine topology. Flags override it.' },
  { name: 'plugins', type: 'stringList', group: 'kernelet', target: kernelet('plugins'), valueName: 'LIST', help: 'Plugins the agent starts and supervises: names (cpu-manager,memory-manager,...) or module specifiers.' },
  { name: 'plugin-isolation', type: 'string', group: 'kernelet', target: kernelet('pluginIsolation'), valueName: 'shared|process', defaultText: 'shared', help: 'shared: one plugin-host process for all plugins; process: a process per plugin.' },
  { name: 'plugin-call-timeout', type: 'duration', group: 'kernelet', target: kernelet('pluginCallTimeout'), valueName: 'DURATION', defaultText: '2s', help: 'Deadline of each call from the agent into a plugin.' },
  { name: 'plugin-ready-timeout', type: 'duration', group: 'kernelet', target: kernelet('pluginReadyTimeout'), valueName: 'DURATION', defaultText: '30s', help: 'How long after an expected plugin (named in --plugins, or one that crashed) went missing (it was lost, or the agent started) pod admission waits for it to register; past that, pods are rejected at once with UnexpectedAdmissionError.' },
  { name: 'pod-housekeeping-period', type: 'duration', group: 'kernelet', target: kernelet('podHousekeepingPeriod'), valueName: 'DURATION', defaultText: '2s', help: 'How often the pod loop cleans up pods no source has any more (a fixed 2s in the kubelet, not a KubeletConfiguration field).' },
  { name: 'machine-info-file', type: 'path', group: 'kernelet', target: kernelet('machineInfoFile'), valueName: 'FILE', help: 'Machine topology JSON to use instead of discovering CPUs, NUMA nodes and memory.' },
  { name: 'dry-run', type: 'bool', group: 'kernelet', target: kernelet('dryRun'), defaultText: 'false', help: 'Print the final merged configuration as YAML and exit without starting anything.' },
];

const BY_NAME = new Map(FLAG_SPECS.map((spec) => [spec.name, spec]));
const BY_SHORTHAND = new Map(FLAG_SPECS.filter((s) => s.shorthand).map((spec) => [spec.shorthand as string, spec]));

/** One KubeletConfiguration field a flag replaces. */
export interface ConfigAssignment {
  path: readonly string[];
  value: JsonValue;
  flag: string;
}

export interface ParsedCommandLine {
  /** KubeletFlags values given, by key. */
  flags: Record<string, JsonValue>;
  /** KubeletConfiguration fields given on the command line, in the order first given. */
  config: ConfigAssignment[];
  /** --feature-gates, merged across uses. */
  featureGates: Record<string, boolean>;
  /** kernelet's own flags given, by key. */
  kernelet: Record<string, JsonValue>;
  /** Flag names given, normalised ("max-pods"). */
  given: Set<string>;
  help: boolean;
  version: boolean;
  problems: ConfigProblem[];
  /** One per deprecated or ineffective flag given. */
  warnings: ConfigProblem[];
}

/** Normalises a flag name as the kubelet does: underscores become dashes. */
export function normalizeFlagName(name: string): string {
  return name.replace(/_/g, '-');
}

export function findFlag(name: string): FlagSpec | undefined {
  return BY_NAME.get(normalizeFlagName(name));
}

/** Parses argv (everything after `kernelet`). Every problem is collected; nothing stops at the first. */
export function parseCommandLine(argv: readonly string[], cwd: string): ParsedCommandLine {
  const result: ParsedCommandLine = { flags: {}, config: [], featureGates: {}, kernelet: {}, given: new Set(), help: false, version: false, problems: [], warnings: [] };
  const accumulators = new Map<string, JsonValue>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      const rest = argv.slice(i + 1);
      if (rest.length > 0) result.problems.push({ field: rest[0] as string, message: 'unexpected argument: kernelet takes no positional arguments' });
      break;
    }
    let spec: FlagSpec | undefined;
    let shown: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      inline = eq >= 0 ? body.slice(eq + 1) : undefined;
      shown = `--${normalizeFlagName(name)}`;
      spec = findFlag(name);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const body = arg.slice(1);
      const short = body[0] as string;
      inline = body.length > 1 ? (body[1] === '=' ? body.slice(2) : body.slice(1)) : undefined;
      shown = `-${short}`;
      spec = BY_SHORTHAND.get(short);
    } else {
      result.problems.push({ field: arg, message: 'unexpected argument: kernelet takes no positional arguments (use --config FILE)' });
      continue;
    }
    if (spec === undefined) {
      result.problems.push({ field: shown, message: `unknown flag${suggestFlag(shown)}` });
      continue;
    }
    const field = `--${spec.name}`;
    let text: string;
    if (inline !== undefined) {
      text = inline;
    } else if (spec.type === 'bool') {
      text = 'true';
    } else if (i + 1 < argv.length) {
      text = argv[++i] as string;
    } else {
      result.problems.push({ field, message: 'needs a value' });
      continue;
    }
    if (!result.given.has(spec.name)) {
      const warning = flagWarning(spec);
      if (warning !== undefined) result.warnings.push({ field, message: warning });
    }
    result.given.add(spec.name);
    try {
      applyFlag(spec, text, cwd, result, accumulators);
    } catch (err) {
      if (!(err instanceof FlagValueError)) throw err;
      result.problems.push({ field, message: err.message });
    }
  }
  return result;
}

/** The warning a flag earns once per command line, if any. */
export function flagWarning(spec: FlagSpec): string | undefined {
  if (spec.target.kind === 'ignored') {
    return `has no effect in kernelet${spec.deprecated !== undefined ? ` (deprecated upstream: ${spec.deprecated})` : ''}`;
  }
  if (spec.deprecated !== undefined) return `deprecated: ${spec.deprecated}`;
  if ((spec.target.kind === 'config' || spec.target.kind === 'featureGates') && !NOT_DEPRECATED.has(spec.name)) {
    const field = spec.target.kind === 'config' ? spec.target.path.join('.') : 'featureGates';
    return `deprecated: set ${field} in the --config file instead (the flag still works)`;
  }
  return undefined;
}

function applyFlag(spec: FlagSpec, text: string, cwd: string, result: ParsedCommandLine, acc: Map<string, JsonValue>): void {
  if (spec.target.kind === 'help') {
    result.help = parseBoolValue(text);
    return;
  }
  if (spec.target.kind === 'version') {
    result.version = parseBoolValue(text);
    return;
  }
  if (spec.target.kind === 'featureGates') {
    const parsed = parseFeatureGateList(text);
    if (parsed.errors.length > 0) throw new FlagValueError(parsed.errors.join('; '));
    Object.assign(result.featureGates, parsed.values);
    return;
  }
  const value = parseFlagValue(spec, text, cwd, acc.get(spec.name));
  acc.set(spec.name, value);
  const target = spec.target;
  if (target.kind === 'ignored') return;
  if (target.kind === 'config') {
    const existing = result.config.find((a) => a.flag === spec.name);
    if (existing) existing.value = value;
    else result.config.push({ path: target.path, value, flag: spec.name });
  } else if (target.kind === 'flag') {
    result.flags[target.key] = value;
  } else {
    result.kernelet[target.key] = value;
  }
}

function parseFlagValue(spec: FlagSpec, text: string, cwd: string, previous: JsonValue | undefined): JsonValue {
  switch (spec.type) {
    case 'string':
      return text;
    case 'path':
      // An absolute path stays as written; a relative one is joined to the working directory.
      return text === '' || path.isAbsolute(text) ? text : path.join(cwd, text);
    case 'bool':
      return parseBoolValue(text);
    case 'int32':
      return parseIntValue(text, -(2 ** 31), 2 ** 31 - 1);
    case 'int64':
      return parseIntValue(text, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case 'quantity':
      return parseQuantityValue(text);
    case 'taints':
      return parseTaints(text);
    case 'vmodule':
      return parseVModule(text);
    case 'uint32':
      return parseIntValue(text, 0, 2 ** 32 - 1);
    case 'duration':
      return parseDurationValue(text);
    case 'ip':
      return parseIpValue(text);
    case 'stringList':
      return [...(Array.isArray(previous) ? (previous as string[]) : []), ...parseStringList(text)];
    case 'keyValueMap':
      return { ...(previous as JsonObject | undefined), ...parseKeyValueMap(text, '=') };
    case 'thresholdMap':
      return { ...(previous as JsonObject | undefined), ...parseKeyValueMap(text, '<') };
    case 'singleKeyValueMap': {
      const [key, value] = parseSingleKeyValue(text);
      return { ...(previous as JsonObject | undefined), [key]: value };
    }
    case 'headerMap': {
      const headers = structuredClone((previous as Record<string, string[]> | undefined) ?? {});
      parseHeaderList(text, headers);
      return headers;
    }
    case 'labelMap': {
      const labels = { ...((previous as Record<string, string> | undefined) ?? {}) };
      parseLabelMap(text, labels);
      return labels;
    }
    case 'reservedMemory':
      return [...(Array.isArray(previous) ? previous : []), ...parseReservedMemory(text)];
    case 'featureGates':
      throw new FlagValueError('feature gates are handled separately');
  }
}

function suggestFlag(shown: string): string {
  const name = shown.replace(/^-+/, '');
  const close = FLAG_SPECS.find((spec) => spec.name.replace(/-/g, '') === name.replace(/[-_]/g, '').toLowerCase());
  return close ? ` (did you mean --${close.name}?)` : '';
}
