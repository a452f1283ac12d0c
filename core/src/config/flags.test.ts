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
  ])('reports %s', (_name, argv, field, message) => {
    const { problems } = parseCommandLine(argv, CWD);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe(field);
    expect(problems[0]?.message).toMatch(message);
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
    tls-private-key-file cert-dir client-ca-file anonymous-auth authorization-mode v`.split(/\s+/);

  it.each(KUBELET_FLAGS)('--%s is known, with kubelet spelling and with underscores', (name) => {
    expect(findFlag(name)?.name).toBe(name);
    expect(findFlag(name.replace(/-/g, '_'))?.name).toBe(name);
    expect(findFlag(name)?.group).not.toBe('kernelet');
  });

  it.each(['kernelet-config', 'plugins', 'plugin-isolation', 'plugin-call-timeout', 'machine-info-file', 'dry-run'])('--%s is a kernelet flag', (name) => {
    expect(findFlag(name)?.group).toBe('kernelet');
  });
});
