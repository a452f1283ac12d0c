import { describe, expect, it } from 'vitest';
import { findFlag, parseCommandLine } from './flags.js';

const CWD = '/work/node';

function configOf(argv: string[]): Record<string, unknown> {
  const parsed = parseCommandLine(argv, CWD);
  expect(parsed.problems).toEqual([]);
  return Object.fromEntries(parsed.config.map((a) => [a.path.join('.'), a.value]));
}

describe('kubelet flag syntax', () => {
  it.each<[string, string[], string, unknown]>([
    ['--name=value', ['--max-pods=50'], 'maxPods', 50],
    ['--name value', ['--max-pods', '50'], 'maxPods', 50],
    ['underscores normalised', ['--max_pods=50'], 'maxPods', 50],
    ['hex integers as strconv', ['--max-pods=0x20'], 'maxPods', 32],
    ['bool without value', ['--cgroups-per-qos'], 'cgroupsPerQOS', true],
    ['bool =false', ['--cgroups-per-qos=false'], 'cgroupsPerQOS', false],
    ['bool strconv forms', ['--seccomp-default=T'], 'seccompDefault', true],
    ['duration canonical', ['--sync-frequency=90s'], 'syncFrequency', '1m30s'],
    ['last scalar wins', ['--max-pods=1', '--max-pods=2'], 'maxPods', 2],
    ['-v shorthand', ['-v', '4'], 'logging.verbosity', 4],
    ['--v', ['--v=2'], 'logging.verbosity', 2],
    ['nested target', ['--anonymous-auth=false'], 'authentication.anonymous.enabled', false],
    ['map flag', ['--kube-reserved', 'cpu=200m, memory=500Mi'], 'kubeReserved', { cpu: '200m', memory: '500Mi' }],
    ['map flag repeated accumulates', ['--system-reserved=cpu=1', '--system-reserved=memory=1Gi'], 'systemReserved', { cpu: '1', memory: '1Gi' }],
    ['eviction thresholds with <', ['--eviction-hard=memory.available<1Gi,nodefs.available<5%'], 'evictionHard', { 'memory.available': '1Gi', 'nodefs.available': '5%' }],
    ['policy options are not split', ['--cpu-manager-policy-options=full-pcpus-only=true', '--cpu-manager-policy-options', 'strict-cpu-reservation=true'], 'cpuManagerPolicyOptions', { 'full-pcpus-only': 'true', 'strict-cpu-reservation': 'true' }],
    ['list flag', ['--enforce-node-allocatable=pods,kube-reserved'], 'enforceNodeAllocatable', ['pods', 'kube-reserved']],
    ['empty list', ['--enforce-node-allocatable='], 'enforceNodeAllocatable', []],
    ['headers repeat per name', ['--manifest-url-header', 'a:hello,b:again', '--manifest-url-header', 'b:beautiful'], 'staticPodURLHeader', { a: ['hello'], b: ['again', 'beautiful'] }],
    ['reserved memory repeatable', ['--reserved-memory', '0:memory=1Gi,hugepages-1Gi=2Gi', '--reserved-memory', '1:memory=2Gi'], 'reservedMemory', [{ numaNode: 0, limits: { memory: '1Gi', 'hugepages-1Gi': '2Gi' } }, { numaNode: 1, limits: { memory: '2Gi' } }]],
    ['reserved memory ;-separated', ['--reserved-memory=0:memory=1Gi;1:memory=2Gi'], 'reservedMemory', [{ numaNode: 0, limits: { memory: '1Gi' } }, { numaNode: 1, limits: { memory: '2Gi' } }]],
    ['relative path against cwd', ['--pod-manifest-path', 'manifests'], 'staticPodPath', '/work/node/manifests'],
    ['ip address', ['--healthz-bind-address=::1'], 'healthzBindAddress', '::1'],
    ['--cluster-dns list', ['--cluster-dns=10.96.0.10,fd00::10'], 'clusterDNS', ['10.96.0.10', 'fd00::10']],
    ['--cluster-dns repeated appends', ['--cluster-dns=10.96.0.10', '--cluster-dns=10.96.0.11'], 'clusterDNS', ['10.96.0.10', '10.96.0.11']],
    ['--cluster-domain', ['--cluster-domain=cluster.local'], 'clusterDomain', 'cluster.local'],
    ['--resolv-conf relative to cwd', ['--resolv-conf=run/resolv.conf'], 'resolvConf', '/work/node/run/resolv.conf'],
    ['--resolv-conf empty disables DNS', ['--resolv-conf='], 'resolvConf', ''],
    ['--register-with-taints', ['--register-with-taints=dedicated=gpu:NoSchedule,node.example.com/maint:NoExecute'], 'registerWithTaints', [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'node.example.com/maint', effect: 'NoExecute' }]],
    ['--register-with-taints replaces on each use', ['--register-with-taints=a:NoSchedule', '--register-with-taints=b:NoSchedule'], 'registerWithTaints', [{ key: 'b', effect: 'NoSchedule' }]],
    ['--register-with-taints drops removals', ['--register-with-taints=a:NoSchedule,b:NoSchedule-'], 'registerWithTaints', [{ key: 'a', effect: 'NoSchedule' }]],
    ['--node-status-update-frequency', ['--node-status-update-frequency=4s'], 'nodeStatusUpdateFrequency', '4s'],
    ['--runtime-request-timeout', ['--runtime-request-timeout=15m'], 'runtimeRequestTimeout', '15m0s'],
    ['--image-gc-high-threshold', ['--image-gc-high-threshold=90'], 'imageGCHighThresholdPercent', 90],
    ['--image-gc-low-threshold', ['--image-gc-low-threshold=70'], 'imageGCLowThresholdPercent', 70],
    ['--container-log-max-size', ['--container-log-max-size=50Mi'], 'containerLogMaxSize', '50Mi'],
    ['--container-log-max-files', ['--container-log-max-files=3'], 'containerLogMaxFiles', 3],
    ['--serialize-image-pulls=false', ['--serialize-image-pulls=false'], 'serializeImagePulls', false],
    ['--max-open-files is int64', ['--max-open-files=5000000000'], 'maxOpenFiles', 5_000_000_000],
    ['--pod-max-pids is int64', ['--pod-max-pids=4096'], 'podPidsLimit', 4096],
    ['--fail-swap-on=false', ['--fail-swap-on=false'], 'failSwapOn', false],
    ['--provider-id', ['--provider-id=aws:///eu-west-1a/i-0123'], 'providerID', 'aws:///eu-west-1a/i-0123'],
    ['--volume-plugin-dir', ['--volume-plugin-dir=/opt/libexec/kubernetes/kubelet-plugins/volume/exec/'], 'volumePluginDir', '/opt/libexec/kubernetes/kubelet-plugins/volume/exec/'],
    ['--rotate-certificates', ['--rotate-certificates'], 'rotateCertificates', true],
    ['--rotate-server-certificates', ['--rotate-server-certificates'], 'serverTLSBootstrap', true],
    ['--protect-kernel-defaults', ['--protect-kernel-defaults'], 'protectKernelDefaults', true],
    ['--make-iptables-util-chains=false', ['--make-iptables-util-chains=false'], 'makeIPTablesUtilChains', false],
    ['--kube-api-qps', ['--kube-api-qps=20'], 'kubeAPIQPS', 20],
    ['--kube-api-burst', ['--kube-api-burst=40'], 'kubeAPIBurst', 40],
    ['--kube-api-content-type', ['--kube-api-content-type=application/json'], 'contentType', 'application/json'],
    ['--event-qps', ['--event-qps=0'], 'eventRecordQPS', 0],
    ['--event-burst', ['--event-burst=20'], 'eventBurst', 20],
    ['--registry-qps', ['--registry-qps=10'], 'registryPullQPS', 10],
    ['--registry-burst', ['--registry-burst=20'], 'registryBurst', 20],
    ['--minimum-image-ttl-duration', ['--minimum-image-ttl-duration=5m'], 'imageMinimumGCAge', '5m0s'],
    ['--oom-score-adj', ['--oom-score-adj=-500'], 'oomScoreAdj', -500],
    ['--pods-per-core', ['--pods-per-core=10'], 'podsPerCore', 10],
    ['--pod-cidr', ['--pod-cidr=10.244.0.0/24'], 'podCIDR', '10.244.0.0/24'],
    ['--hairpin-mode', ['--hairpin-mode=hairpin-veth'], 'hairpinMode', 'hairpin-veth'],
    ['--qos-reserved', ['--qos-reserved=memory=50%'], 'qosReserved', { memory: '50%' }],
    ['--cpu-cfs-quota=false', ['--cpu-cfs-quota=false'], 'cpuCFSQuota', false],
    ['--cpu-cfs-quota-period', ['--cpu-cfs-quota-period=50ms'], 'cpuCFSQuotaPeriod', '50ms'],
    ['--node-status-max-images', ['--node-status-max-images=-1'], 'nodeStatusMaxImages', -1],
    ['--tls-cipher-suites', ['--tls-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], 'tlsCipherSuites', ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']],
    ['--tls-min-version', ['--tls-min-version=VersionTLS13'], 'tlsMinVersion', 'VersionTLS13'],
    ['--streaming-connection-idle-timeout', ['--streaming-connection-idle-timeout=1h'], 'streamingConnectionIdleTimeout', '1h0m0s'],
    ['--volume-stats-agg-period', ['--volume-stats-agg-period=2m'], 'volumeStatsAggPeriod', '2m0s'],
    ['--authentication-token-webhook-cache-ttl', ['--authentication-token-webhook-cache-ttl=1m'], 'authentication.webhook.cacheTTL', '1m0s'],
    ['--authorization-webhook-cache-authorized-ttl', ['--authorization-webhook-cache-authorized-ttl=1m'], 'authorization.webhook.cacheAuthorizedTTL', '1m0s'],
    ['--authorization-webhook-cache-unauthorized-ttl', ['--authorization-webhook-cache-unauthorized-ttl=10s'], 'authorization.webhook.cacheUnauthorizedTTL', '10s'],
    ['--enable-server=false', ['--enable-server=false'], 'enableServer', false],
    ['--enable-debugging-handlers=false', ['--enable-debugging-handlers=false'], 'enableDebuggingHandlers', false],
    ['--contention-profiling', ['--contention-profiling'], 'enableContentionProfiling', true],
    ['--enable-controller-attach-detach=false', ['--enable-controller-attach-detach=false'], 'enableControllerAttachDetach', false],
    ['--kernel-memcg-notification', ['--kernel-memcg-notification'], 'kernelMemcgNotification', true],
    ['--local-storage-capacity-isolation=false', ['--local-storage-capacity-isolation=false'], 'localStorageCapacityIsolation', false],
    ['--fail-cgroupv1', ['--fail-cgroupv1'], 'failCgroupV1', true],
    ['--runonce', ['--runonce'], 'runOnce', true],
    ['--vmodule', ['--vmodule=pods*=4,cri/*.go=2'], 'logging.vmodule', [{ filePattern: 'pods*', verbosity: 4 }, { filePattern: 'cri/*.go', verbosity: 2 }]],
    ['--log-flush-frequency', ['--log-flush-frequency=10s'], 'logging.flushFrequency', '10s'],
    ['--logging-format', ['--logging-format=json'], 'logging.format', 'json'],
    ['--log-text-split-stream', ['--log-text-split-stream'], 'logging.options.text.splitStream', true],
    ['--log-text-info-buffer-size', ['--log-text-info-buffer-size=1Mi'], 'logging.options.text.infoBufferSize', '1Mi'],
  ])('%s', (_name, argv, field, value) => {
    expect(configOf(argv)[field]).toEqual(value);
  });

  it('routes kubelet-only, kernelet and feature-gate flags', () => {
    const parsed = parseCommandLine(
      ['--config', 'kubelet.yaml', '--root-dir=/srv/k', '--node-labels', 'a=1,b', '--feature-gates', 'MemoryQoS=true,AllAlpha=false', '--plugins=cpu-manager,memory-manager', '--dry-run'],
      CWD,
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.flags).toMatchObject({ config: '/work/node/kubelet.yaml', rootDir: '/srv/k', nodeLabels: { a: '1', b: '' } });
    expect(parsed.featureGates).toEqual({ MemoryQoS: true, AllAlpha: false });
    expect(parsed.kernelet).toMatchObject({ plugins: ['cpu-manager', 'memory-manager'], dryRun: true });
    expect(parsed.help).toBe(false);
    expect(parseCommandLine(['-h'], CWD).help).toBe(true);
  });

  it.each<[string, string[], string, RegExp]>([
    ['unknown flag', ['--max-podz=3'], '--max-podz', /unknown flag/],
    ['near miss suggests', ['--maxpods=3'], '--maxpods', /did you mean --max-pods/],
    ['malformed integer', ['--max-pods=lots'], '--max-pods', /invalid integer "lots"/],
    ['int32 overflow', ['--max-pods=3000000000'], '--max-pods', /out of range/],
    ['malformed duration', ['--sync-frequency=5minutes'], '--sync-frequency', /invalid duration "5minutes": unknown unit "minutes"/],
    ['malformed bool', ['--cgroups-per-qos=maybe'], '--cgroups-per-qos', /invalid boolean "maybe"/],
    ['missing value', ['--max-pods'], '--max-pods', /needs a value/],
    ['malformed map pair', ['--kube-reserved=cpu'], '--kube-reserved', /malformed pair "cpu"/],
    ['threshold without <', ['--eviction-hard=memory.available=1Gi'], '--eviction-hard', /expect key<value/],
    ['malformed reserved memory', ['--reserved-memory=0-memory=1Gi'], '--reserved-memory', /wrong format/],
    ['reserved memory bad quantity', ['--reserved-memory=0:memory=10Q'], '--reserved-memory', /invalid quantity "10Q"/],
    ['reserved memory bad type', ['--reserved-memory=0:cpu=1'], '--reserved-memory', /unknown memory type "cpu"/],
    ['reserved memory bad node', ['--reserved-memory=x:memory=1Gi'], '--reserved-memory', /NUMA node id "x"/],
    ['bad ip', ['--address=localhost'], '--address', /not a valid IP address/],
    ['feature gate without value', ['--feature-gates=MemoryQoS'], '--feature-gates', /missing bool value/],
    ['feature gate bad value', ['--feature-gates=MemoryQoS=yes'], '--feature-gates', /invalid value of MemoryQoS/],
    ['positional argument', ['serve'], 'serve', /unexpected argument/],
    ['taint without an effect', ['--register-with-taints=dedicated=gpu'], '--register-with-taints', /an effect is required/],
    ['taint with an unknown effect', ['--register-with-taints=dedicated=gpu:NoRun'], '--register-with-taints', /unknown effect "NoRun"/],
    ['taint with a bad key', ['--register-with-taints=bad key:NoSchedule'], '--register-with-taints', /the key "bad key" is not a qualified name/],
    ['taint with a bad value', ['--register-with-taints=dedicated=gpu only:NoSchedule'], '--register-with-taints', /the value "gpu only" is not a valid label value/],
    ['duplicate taint', ['--register-with-taints=a:NoSchedule,a=x:NoSchedule'], '--register-with-taints', /duplicated taint/],
    ['bad vmodule', ['--vmodule=pods'], '--vmodule', /is not pattern=N/],
    ['bad vmodule level', ['--vmodule=pods=high'], '--vmodule', /is not a verbosity level/],
    ['bad quantity', ['--log-text-info-buffer-size=lots'], '--log-text-info-buffer-size', /invalid quantity "lots"/],
    ['an ineffective flag still has its value checked', ['--maximum-dead-containers=many'], '--maximum-dead-containers', /invalid integer "many"/],
    ['an ineffective duration flag too', ['--minimum-container-ttl-duration=1 minute'], '--minimum-container-ttl-duration', /invalid duration/],
  ])('reports %s', (_name, argv, field, message) => {
    const { problems } = parseCommandLine(argv, CWD);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe(field);
    expect(problems[0]?.message).toMatch(message);
  });

  it.each<[string, string[], { field: string; message: RegExp }[]]>([
    ['a config-backed flag, once however often it is given', ['--max-pods=10', '--max_pods=20'], [{ field: '--max-pods', message: /^deprecated: set maxPods in the --config file instead \(the flag still works\)$/ }]],
    ['a nested config-backed flag', ['--client-ca-file=/ca.crt'], [{ field: '--client-ca-file', message: /set authentication\.x509\.clientCAFile in the --config file/ }]],
    ['--feature-gates', ['--feature-gates=KubeletPSI=false'], [{ field: '--feature-gates', message: /set featureGates in the --config file/ }]],
    ['flags upstream keeps', ['-v', '2', '--vmodule=a=1', '--log-flush-frequency=1s', '--provider-id=x', '--seccomp-default', '--fail-cgroupv1'], []],
    ['kubelet-only flags', ['--root-dir=/r', '--kubeconfig=/k', '--node-ip=10.0.0.1', '--cert-dir=/c', '--lock-file=/l'], []],
    ['an ineffective flag', ['--cloud-provider=external', '--cloud-provider=external'], [{ field: '--cloud-provider', message: /^has no effect in kernelet$/ }]],
    ['an ineffective deprecated flag', ['--pod-infra-container-image=registry.k8s.io/pause:3.10'], [{ field: '--pod-infra-container-image', message: /^has no effect in kernelet \(deprecated upstream: will be removed in 1\.35/ }]],
    ['the container GC flags', ['--maximum-dead-containers=1'], [{ field: '--maximum-dead-containers', message: /deprecated upstream: use --eviction-hard or --eviction-soft instead/ }]],
  ])('warns about %s', (_name, argv, want) => {
    const parsed = parseCommandLine(argv, CWD);
    expect(parsed.problems).toEqual([]);
    expect(parsed.warnings).toHaveLength(want.length);
    want.forEach((w, i) => {
      expect(parsed.warnings[i]?.field).toBe(w.field);
      expect(parsed.warnings[i]?.message).toMatch(w.message);
    });
  });

  it('accepts the flags kernelet has no use for without setting anything', () => {
    const parsed = parseCommandLine(
      ['--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf', '--cloud-provider=external', '--runtime-cgroups=/system.slice/containerd.service', '--pod-infra-container-image=registry.k8s.io/pause:3.10', '--experimental-mounter-path=/bin/mount', '--experimental-allocatable-ignore-eviction', '--minimum-container-ttl-duration=1m', '--maximum-dead-containers-per-container=1', '--maximum-dead-containers=10'],
      CWD,
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.config).toEqual([]);
    expect(parsed.flags).toEqual({});
    expect(parsed.warnings.map((w) => w.message)).toEqual(Array(9).fill(expect.stringMatching(/^has no effect in kernelet/)));
  });

  it('reports every bad flag, not just the first', () => {
    const { problems } = parseCommandLine(['--max-pods=x', '--sync-frequency=1y', '--nope'], CWD);
    expect(problems.map((p) => p.field)).toEqual(['--max-pods', '--sync-frequency', '--nope']);
  });
});

describe('the kubelet flags operators set on the command line', () => {
  const KUBELET_FLAGS = `config config-dir root-dir kubeconfig hostname-override node-ip node-labels register-node lock-file
    exit-on-lock-contention container-runtime-endpoint image-service-endpoint pod-manifest-path manifest-url
    manifest-url-header file-check-frequency http-check-frequency sync-frequency max-pods cgroup-driver cgroups-per-qos
    cgroup-root cpu-manager-policy cpu-manager-policy-options cpu-manager-reconcile-period reserved-cpus
    topology-manager-policy topology-manager-scope topology-manager-policy-options memory-manager-policy reserved-memory
    kube-reserved system-reserved kube-reserved-cgroup system-reserved-cgroup enforce-node-allocatable eviction-hard
    eviction-soft eviction-soft-grace-period eviction-minimum-reclaim eviction-pressure-transition-period
    eviction-max-pod-grace-period feature-gates image-credential-provider-config image-credential-provider-bin-dir
    allowed-unsafe-sysctls seccomp-default address port read-only-port healthz-port healthz-bind-address tls-cert-file
    tls-private-key-file cert-dir client-ca-file anonymous-auth authorization-mode v

    bootstrap-kubeconfig pod-infra-container-image cluster-dns cluster-domain resolv-conf register-with-taints
    node-status-update-frequency runtime-request-timeout image-gc-high-threshold image-gc-low-threshold
    container-log-max-size container-log-max-files serialize-image-pulls max-open-files pod-max-pids fail-swap-on
    provider-id volume-plugin-dir rotate-certificates protect-kernel-defaults make-iptables-util-chains kube-api-qps
    kube-api-burst event-qps event-burst

    authentication-token-webhook authentication-token-webhook-cache-ttl authorization-webhook-cache-authorized-ttl
    authorization-webhook-cache-unauthorized-ttl cgroup-driver cloud-provider container-runtime-endpoint
    contention-profiling cpu-cfs-quota cpu-cfs-quota-period enable-controller-attach-detach enable-debugging-handlers
    enable-server experimental-allocatable-ignore-eviction experimental-mounter-path fail-cgroupv1 hairpin-mode
    kernel-memcg-notification kube-api-content-type kubelet-cgroups local-storage-capacity-isolation
    log-flush-frequency log-text-info-buffer-size log-text-split-stream logging-format maximum-dead-containers
    maximum-dead-containers-per-container minimum-container-ttl-duration minimum-image-ttl-duration
    node-status-max-images oom-score-adj pod-cidr pods-per-core qos-reserved registry-burst registry-qps
    rotate-server-certificates runonce runtime-cgroups streaming-connection-idle-timeout system-cgroups
    tls-cipher-suites tls-min-version vmodule volume-stats-agg-period`.split(/\s+/).filter((name) => name !== '');

  it.each(KUBELET_FLAGS)('--%s (a v1.34 kubelet flag) is known, with kubelet spelling and with underscores', (name) => {
    expect(findFlag(name)?.name).toBe(name);
    expect(findFlag(name.replace(/-/g, '_'))?.name).toBe(name);
    expect(findFlag(name)?.group).not.toBe('kernelet');
  });

  it.each(['kernelet-config', 'plugins', 'plugin-isolation', 'plugin-call-timeout', 'machine-info-file', 'dry-run'])('--%s is a kernelet flag', (name) => {
    expect(findFlag(name)?.group).toBe('kernelet');
  });
});
