import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentOptions } from './agent-options.js';
import { fixture, HEADER, loadOk, loadProblems, tempDir } from './fixtures.test-helpers.js';
import { validateForMachine } from './machine-validation.js';

/** `--config-dir=DROPIN:<body>` in `flags` becomes a drop-in directory holding that one drop-in. */
async function problemsFor(body: string, flags: string[] = []): Promise<string[]> {
  const dir = await tempDir({ 'k.yaml': `${HEADER}${body}` });
  const argv = await Promise.all(
    flags.map(async (flag) => {
      const dropIn = /^--config-dir=DROPIN:([\s\S]*)$/.exec(flag);
      if (!dropIn) return flag;
      const confDir = await tempDir({ '10.conf': `${HEADER}${dropIn[1] ?? ''}` });
      return `--config-dir=${confDir}`;
    }),
  );
  return (await loadProblems(['--config', path.join(dir, 'k.yaml'), ...argv])).map((p) => `${p.field}: ${p.message}`);
}

async function optionsFor(body: string, flags: string[] = []): Promise<AgentOptions> {
  const dir = await tempDir({ 'k.yaml': `${HEADER}${body}` });
  return loadOk(['--config', path.join(dir, 'k.yaml'), ...flags]);
}

describe('validation reports the field path and the offending value', () => {
  it.each<[string, string, string[], string | RegExp]>([
    ['unknown CPU Manager policy', 'cpuManagerPolicy: statik\n', [], 'cpuManagerPolicy: unknown policy "statik" (valid: none, static)'],
    ['memory manager policy case', 'memoryManagerPolicy: static\n', [], 'memoryManagerPolicy: unknown policy "static" (valid: None, Static); did you mean "Static"?'],
    ['unknown topology policy', 'topologyManagerPolicy: strict\n', [], /^topologyManagerPolicy: unknown policy "strict" \(valid: none, best-effort, restricted, single-numa-node\)/],
    ['unknown topology scope', 'topologyManagerScope: node\n', [], 'topologyManagerScope: unknown scope "node" (valid: container, pod)'],
    ['invalid eviction quantity', 'evictionHard:\n  memory.available: 10Q\n', [], 'evictionHard[memory.available]: invalid quantity "10Q"'],
    ['eviction percentage above 100', 'evictionHard:\n  nodefs.available: 120%\n', [], 'evictionHard[nodefs.available]: percentage "120%" must be between 0% and 100%'],
    ['unknown eviction signal', 'evictionHard:\n  memory.free: 1Gi\n', [], /^evictionHard\[memory.free\]: unknown eviction signal "memory.free"/],
    ['soft threshold without grace period', 'evictionSoft:\n  memory.available: 1Gi\n', [], 'evictionSoft[memory.available]: soft threshold needs a grace period in evictionSoftGracePeriod[memory.available]'],
    ['bad grace period', 'evictionSoft:\n  memory.available: 1Gi\nevictionSoftGracePeriod:\n  memory.available: soon\n', [], /^evictionSoftGracePeriod\[memory.available\]: invalid duration "soon"/],
    ['align-by-socket with single-numa-node', 'cpuManagerPolicy: static\ntopologyManagerPolicy: single-numa-node\nfeatureGates:\n  CPUManagerPolicyAlphaOptions: true\ncpuManagerPolicyOptions:\n  align-by-socket: "true"\n', [], /^cpuManagerPolicyOptions\[align-by-socket\]: incompatible with topologyManagerPolicy "single-numa-node"/],
    ['unknown CPU Manager option', 'cpuManagerPolicy: static\ncpuManagerPolicyOptions:\n  full-cores-only: "true"\n', [], /^cpuManagerPolicyOptions\[full-cores-only\]: unknown CPU Manager policy option "full-cores-only" \(valid: full-pcpus-only, /],
    ['alpha option without its gate', 'cpuManagerPolicy: static\ncpuManagerPolicyOptions:\n  distribute-cpus-across-cores: "true"\n', [], 'cpuManagerPolicyOptions[distribute-cpus-across-cores]: alpha-level option needs feature gate CPUManagerPolicyAlphaOptions'],
    ['option value not a bool', 'cpuManagerPolicy: static\ncpuManagerPolicyOptions:\n  full-pcpus-only: "yes please"\n', [], 'cpuManagerPolicyOptions[full-pcpus-only]: invalid value "yes please" (want true or false)'],
    ['conflicting options', 'cpuManagerPolicy: static\nfeatureGates:\n  CPUManagerPolicyAlphaOptions: true\ncpuManagerPolicyOptions:\n  full-pcpus-only: "true"\n  distribute-cpus-across-cores: "true"\n', [], 'cpuManagerPolicyOptions[distribute-cpus-across-cores]: cannot be used together with full-pcpus-only'],
    ['options with the none policy', 'cpuManagerPolicyOptions:\n  full-pcpus-only: "true"\n', [], 'cpuManagerPolicyOptions: the none policy takes no options, got full-pcpus-only'],
    ['unknown topology option', 'topologyManagerPolicyOptions:\n  prefer-far-numa-nodes: "true"\n', [], /^topologyManagerPolicyOptions\[prefer-far-numa-nodes\]: unknown Topology Manager policy option/],
    ['max-allowable-numa-nodes below 8', 'topologyManagerPolicyOptions:\n  max-allowable-numa-nodes: "4"\n', [], 'topologyManagerPolicyOptions[max-allowable-numa-nodes]: value 4 is below the minimum 8'],
    ['downward cpuset', 'reservedSystemCPUs: 3-1\n', [], 'reservedSystemCPUs: invalid cpuset "3-1": range 3-1 runs downwards'],
    ['not a cpuset', 'reservedSystemCPUs: 0,a\n', [], /^reservedSystemCPUs: invalid cpuset "0,a"/],
    ['reserved cpus with reserved cgroups', 'reservedSystemCPUs: "0"\nkubeReservedCgroup: /kube\n', [], 'reservedSystemCPUs: "0" cannot be used with systemReservedCgroup or kubeReservedCgroup'],
    ['reserved memory sum (documented formula)', 'memoryManagerPolicy: Static\nkubeReserved:\n  memory: 4Gi\nsystemReserved:\n  memory: 1Gi\nreservedMemory:\n- numaNode: 0\n  limits:\n    memory: 3Gi\n', [], 'reservedMemory: sum of reserved memory on NUMA nodes (3Gi) does not equal kubeReserved+systemReserved+evictionHard (5220Mi)'],
    ['static policy without reservations', 'memoryManagerPolicy: Static\n', [], 'reservedMemory: sum of reserved memory on NUMA nodes (0) does not equal kubeReserved+systemReserved+evictionHard (100Mi)'],
    ['reserved memory zero', 'reservedMemory:\n- numaNode: 0\n  limits:\n    memory: "0"\n', [], 'reservedMemory[0].limits[memory]: reserved memory may not be zero (NUMA node 0)'],
    ['reserved memory duplicate', 'reservedMemory:\n- numaNode: 0\n  limits:\n    memory: 1Gi\n- numaNode: 0\n  limits:\n    memory: 2Gi\n', [], 'reservedMemory[1].limits[memory]: NUMA node 0 reserves memory more than once'],
    ['reserved memory type', 'reservedMemory:\n- numaNode: 0\n  limits:\n    cpu: "1"\n', [], /^reservedMemory\[0\].limits\[cpu\]: memory type "cpu" on NUMA node 0 is not supported/],
    ['reserved memory bad quantity', 'reservedMemory:\n- numaNode: 0\n  limits:\n    memory: 1GB\n', [], /^reservedMemory\[0\].limits\[memory\]: invalid quantity "1GB"/],
    ['kube-reserved unknown resource', '', ['--kube-reserved=gpu=1'], /^kubeReserved\[gpu\]: cannot reserve "gpu"/],
    ['image GC thresholds', 'imageGCHighThresholdPercent: 70\nimageGCLowThresholdPercent: 80\n', [], 'imageGCLowThresholdPercent: 80 must be less than imageGCHighThresholdPercent (70)'],
    ['port out of range', 'port: 70000\n', [], 'port: 70000 must be between 1 and 65535, inclusive'],
    ['oomScoreAdj out of range', 'oomScoreAdj: -1001\n', [], 'oomScoreAdj: -1001 must be between -1000 and 1000, inclusive'],
    ['negative maxPods', '', ['--max-pods=-1'], 'maxPods: -1 must not be negative'],
    ['enforcement level', 'enforceNodeAllocatable: [pods, everything]\n', [], /^enforceNodeAllocatable\[1\]: unknown option "everything"/],
    ['enforcement needs its cgroup', 'enforceNodeAllocatable: [pods, kube-reserved]\n', [], 'enforceNodeAllocatable[1]: "kube-reserved" needs kubeReservedCgroup'],
    ['enforcement without QoS cgroups', 'cgroupsPerQOS: false\n', [], 'enforceNodeAllocatable[0]: "pods" needs cgroupsPerQOS to be true'],
    ['each enforcing entry needs QoS cgroups', 'cgroupsPerQOS: false\nsystemReservedCgroup: /system\nenforceNodeAllocatable: [pods, system-reserved]\n', [], 'enforceNodeAllocatable[1]: "system-reserved" needs cgroupsPerQOS to be true'],
    ['duplicate enforcement entry', 'enforceNodeAllocatable: [pods, pods]\n', [], 'enforceNodeAllocatable[1]: duplicate entry "pods"'],
    ['duplicate enforcement via the flag', '', ['--enforce-node-allocatable=pods,none,pods'], 'enforceNodeAllocatable[2]: duplicate entry "pods"'],
    ['none with another entry', 'enforceNodeAllocatable: [none, pods]\n', [], 'enforceNodeAllocatable[0]: "none" cannot be combined with other options'],
    ['negative imageMinimumGCAge', 'imageMinimumGCAge: -1m\n', [], 'imageMinimumGCAge: -1m0s must not be negative'],
    ['runOnce is refused', 'runOnce: true\n', [], 'runOnce: true is not allowed: run-once mode is deprecated and must not be set'],
    ['taint key not a qualified name', 'registerWithTaints:\n- key: "bad key"\n  effect: NoSchedule\n', [], /^registerWithTaints\[0\].key: invalid taint key "bad key": the name part must consist of alphanumerics/],
    ['taint key with a bad prefix', 'registerWithTaints:\n- key: Example.COM/dedicated\n  effect: NoSchedule\n', [], /^registerWithTaints\[0\].key: invalid taint key "Example.COM\/dedicated": the prefix "Example.COM" must be a lowercase DNS subdomain/],
    ['empty taint key', 'registerWithTaints:\n- key: ""\n  effect: NoSchedule\n', [], 'registerWithTaints[0].key: invalid taint key "": the name part must not be empty'],
    ['taint value not a label value', 'registerWithTaints:\n- key: dedicated\n  value: "gpu only"\n  effect: NoSchedule\n', [], /^registerWithTaints\[0\].value: invalid taint value "gpu only": a label value must consist of/],
    ['taint value too long', `registerWithTaints:\n- key: dedicated\n  value: ${'v'.repeat(64)}\n  effect: NoSchedule\n`, [], /^registerWithTaints\[0\].value: invalid taint value "v+": a label value must be at most 63 characters/],
    ['unknown taint effect', 'registerWithTaints:\n- key: dedicated\n  effect: NoScheduleEver\n', [], 'registerWithTaints[0].effect: unknown taint effect "NoScheduleEver" (valid: NoSchedule, PreferNoSchedule, NoExecute)'],
    ['taint timeAdded', 'registerWithTaints:\n- key: dedicated\n  effect: NoSchedule\n  timeAdded: "2024-01-01T00:00:00Z"\n', [], 'registerWithTaints[0].timeAdded: must not be set'],
    ['showHiddenMetricsForVersion other than the previous minor', 'showHiddenMetricsForVersion: "1.30"\n', [], 'showHiddenMetricsForVersion: "1.30" is not allowed: only the previous minor version "1.33" may be set'],
    ['image pull policy without its gate', 'imagePullCredentialsVerificationPolicy: AlwaysVerify\n', [], 'imagePullCredentialsVerificationPolicy: "AlwaysVerify" cannot be set while feature gate KubeletEnsureSecretPulledImages is disabled'],
    ['allowlist without its gate', 'preloadedImagesVerificationAllowlist: [registry.io/pause]\n', [], 'preloadedImagesVerificationAllowlist: cannot be set while feature gate KubeletEnsureSecretPulledImages is disabled'],
    ['unknown image pull policy', 'featureGates:\n  KubeletEnsureSecretPulledImages: true\nimagePullCredentialsVerificationPolicy: Sometimes\n', [], 'imagePullCredentialsVerificationPolicy: unknown value "Sometimes" (valid: NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify)'],
    ['allowlist with another policy', 'featureGates:\n  KubeletEnsureSecretPulledImages: true\nimagePullCredentialsVerificationPolicy: AlwaysVerify\npreloadedImagesVerificationAllowlist: [registry.io/pause]\n', [], 'preloadedImagesVerificationAllowlist: can only be set with imagePullCredentialsVerificationPolicy NeverVerifyAllowlistedImages, not "AlwaysVerify"'],
    ['allowlist pattern with a tag', 'featureGates:\n  KubeletEnsureSecretPulledImages: true\nimagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages\npreloadedImagesVerificationAllowlist: [registry.io/pause:3.10]\n', [], 'preloadedImagesVerificationAllowlist[0]: invalid image pattern "registry.io/pause:3.10": an image tag is not allowed, name the image only'],
    ['allowlist pattern with a partial wildcard', 'featureGates:\n  KubeletEnsureSecretPulledImages: true\nimagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages\npreloadedImagesVerificationAllowlist: ["registry.io/team-*"]\n', [], 'preloadedImagesVerificationAllowlist[0]: invalid image pattern "registry.io/team-*": the only wildcard allowed is a trailing "/*"'],
    ['crash-loop period without its gate', 'crashLoopBackOff:\n  maxContainerRestartPeriod: 1m\n', [], 'crashLoopBackOff.maxContainerRestartPeriod: 1m0s needs feature gate KubeletCrashLoopBackOffMax'],
    ['crash-loop period out of range', 'featureGates:\n  KubeletCrashLoopBackOffMax: true\ncrashLoopBackOff:\n  maxContainerRestartPeriod: 10m\n', [], 'crashLoopBackOff.maxContainerRestartPeriod: 10m0s must be between 1s and 300s'],
    ['cgroup driver', 'cgroupDriver: cgroupsv2\n', [], 'cgroupDriver: unknown value "cgroupsv2" (valid: cgroupfs, systemd)'],
    ['authorization mode', '', ['--authorization-mode=Allow'], 'authorization.mode: unknown value "Allow" (valid: AlwaysAllow, Webhook)'],
    ['container log size', 'containerLogMaxSize: 10MB\n', [], 'containerLogMaxSize: invalid quantity "10MB"'],
    ['CFS period without its gate', 'cpuCFSQuotaPeriod: 50ms\n', [], 'cpuCFSQuotaPeriod: 50ms needs feature gate CustomCPUCFSQuotaPeriod'],
    ['shutdown grace periods', 'shutdownGracePeriod: 10s\nshutdownGracePeriodCriticalPods: 20s\n', [], 'shutdownGracePeriodCriticalPods: 20s must be <= shutdownGracePeriod (10s)'],
    ['memory throttling factor', 'memoryThrottlingFactor: 1.5\n', [], 'memoryThrottlingFactor: 1.5 must be greater than 0 and at most 1.0'],
    ['empty runtime endpoint', '', ['--container-runtime-endpoint='], 'containerRuntimeEndpoint: must not be empty'],
    ['relative pod logs dir (flag is not a path flag in the file)', 'podLogsDir: /var/log/../pods\n', [], 'podLogsDir: "/var/log/../pods" must be a normalized path'],
    ['tracing without the gate is fine (GA); samplingRate range', 'tracing:\n  samplingRatePerMillion: 2000000\n', [], 'tracing.samplingRatePerMillion: 2000000 must be between 0 and 1000000, inclusive'],
  ])('%s', async (_name, body, flags, want) => {
    const problems = await problemsFor(body, flags);
    if (typeof want === 'string') expect(problems).toContain(want);
    else expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
  });

  it.each<[string, string, string[]]>([
    ['cgroupsPerQOS false with enforceNodeAllocatable [none]', 'cgroupsPerQOS: false\nenforceNodeAllocatable: [none]\n', []],
    ['cgroupsPerQOS false with nothing enforced', 'cgroupsPerQOS: false\nenforceNodeAllocatable: []\n', []],
    ['a taint with only a key (effect may be empty)', 'registerWithTaints:\n- key: example.com/dedicated\n  value: gpu\n  effect: ""\n', []],
    ['the previous minor version for hidden metrics', 'showHiddenMetricsForVersion: "1.33"\n', []],
    ['the image pull gate in the config file defaults the policy', 'featureGates:\n  KubeletEnsureSecretPulledImages: true\n', []],
    ['the image pull gate on the command line defaults the policy', '', ['--feature-gates=KubeletEnsureSecretPulledImages=true']],
    ['an allowlist for NeverVerifyAllowlistedImages', 'featureGates:\n  KubeletEnsureSecretPulledImages: true\nimagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages\npreloadedImagesVerificationAllowlist: [registry.k8s.io/pause, "quay.io/team/*", "localhost:5000/tools/*"]\n', []],
    ['the crash-loop gate on the command line defaults the period', '', ['--feature-gates=KubeletCrashLoopBackOffMax=true']],
  ])('accepts %s', async (_name, body, flags) => {
    await optionsFor(body, flags);
  });

  it('defaults the gated fields again after the drop-ins, with the gates they turn on', async () => {
    const confDir = await tempDir({ '10.conf': `${HEADER}featureGates:\n  KubeletCrashLoopBackOffMax: true\n  KubeletEnsureSecretPulledImages: true\n` });
    const options = await optionsFor('', [`--config-dir=${confDir}`]);
    expect(options.kubelet.crashLoopBackOff.maxContainerRestartPeriod).toBe('5m0s');
    expect(options.kubelet.imagePullCredentialsVerificationPolicy).toBe('NeverVerifyPreloadedImages');
  });

  it('without --config or --config-dir the built-in base is defaulted before the command-line gates apply, as upstream', async () => {
    const problems = (await loadProblems(['--feature-gates=KubeletCrashLoopBackOffMax=true,KubeletEnsureSecretPulledImages=true'])).map((p) => `${p.field}: ${p.message}`);
    expect(problems.sort()).toEqual([
      'crashLoopBackOff.maxContainerRestartPeriod: must be set while feature gate KubeletCrashLoopBackOffMax is enabled',
      'imagePullCredentialsVerificationPolicy: must be set while feature gate KubeletEnsureSecretPulledImages is enabled (valid: NeverVerify, NeverVerifyPreloadedImages, NeverVerifyAllowlistedImages, AlwaysVerify)',
    ].sort());
    // With a drop-in directory, the kubelet defaults the merged result with the command-line gates.
    const confDir = await tempDir({ '10.conf': `${HEADER}maxPods: 10\n` });
    const options = await loadOk(['--feature-gates=KubeletCrashLoopBackOffMax=true', `--config-dir=${confDir}`]);
    expect(options.kubelet.crashLoopBackOff.maxContainerRestartPeriod).toBe('5m0s');
  });

  it('accepts the documented Memory Manager example (4Gi + 1Gi + 100Mi = 3Gi + 2148Mi)', async () => {
    const options = await loadOk(['--config', fixture('memory-manager/documented-example.yaml')]);
    expect(options.kubelet.reservedMemory).toEqual([
      { numaNode: 0, limits: { memory: '3Gi' } },
      { numaNode: 1, limits: { memory: '2148Mi' } },
    ]);
  });

  it('accepts the same reservations from the documented flags', async () => {
    await loadOk(['--kube-reserved=cpu=4,memory=4Gi', '--system-reserved=cpu=1,memory=1Gi', '--memory-manager-policy=Static', '--reserved-memory', '0:memory=3Gi;1:memory=2148Mi']);
  });

  it('accepts a valid static CPU Manager setup', async () => {
    const options = await optionsFor('cpuManagerPolicy: static\ncpuManagerPolicyOptions:\n  full-pcpus-only: "true"\nreservedSystemCPUs: 0-1\ntopologyManagerPolicy: single-numa-node\n');
    expect(options.kubelet.cpuManagerPolicyOptions).toEqual({ 'full-pcpus-only': 'true' });
  });
});

describe('validateForMachine', () => {
  it.each<[string, string, readonly number[], { cpuIds?: number[]; memoryCapacityBytes?: number }, string[]]>([
    ['NUMA ids that exist', 'reservedMemory:\n- numaNode: 0\n  limits:\n    memory: 1Gi\n', [0, 1], {}, []],
    ['a NUMA id the machine lacks', 'reservedMemory:\n- numaNode: 0\n  limits:\n    memory: 1Gi\n- numaNode: 3\n  limits:\n    memory: 1Gi\n', [0, 1], {}, ['reservedMemory[1].numaNode: NUMA node 3 does not exist on this machine (NUMA nodes: 0, 1)']],
    ['reserved CPUs offline', 'reservedSystemCPUs: 0-1,16\n', [0], { cpuIds: [0, 1, 2, 3] }, ['reservedSystemCPUs: "0-1,16" is not a subset of the online CPUs 0-3 (missing 16)']],
    [
      'a percentage eviction threshold needs the capacity for the sum rule',
      'memoryManagerPolicy: Static\nevictionHard:\n  memory.available: "50%"\nreservedMemory:\n- numaNode: 0\n  limits:\n    memory: 1Gi\n',
      [0],
      { memoryCapacityBytes: 4 * 1024 ** 3 },
      ['reservedMemory: sum of reserved memory on NUMA nodes (1Gi) does not equal kubeReserved+systemReserved+evictionHard (2Gi)'],
    ],
    [
      'more NUMA nodes than an explicit max-allowable-numa-nodes',
      'topologyManagerPolicy: restricted\ntopologyManagerPolicyOptions:\n  max-allowable-numa-nodes: "8"\n',
      Array.from({ length: 16 }, (_, i) => i),
      {},
      ['topologyManagerPolicyOptions[max-allowable-numa-nodes]: unsupported on machines with more than 8 NUMA Nodes (this machine has 16; raise the option or leave it unset: kernelet needs no limit)'],
    ],
    ['max-allowable-numa-nodes unset: no limit', 'topologyManagerPolicy: restricted\n', Array.from({ length: 64 }, (_, i) => i), {}, []],
    [
      'max-allowable-numa-nodes under the none policy, which reads no option',
      'topologyManagerPolicyOptions:\n  max-allowable-numa-nodes: "8"\n',
      Array.from({ length: 16 }, (_, i) => i),
      {},
      [],
    ],
  ])('%s', async (_name, body, numaNodes, machine, want) => {
    const options = await optionsFor(body);
    expect(validateForMachine(options, numaNodes, machine).map((p) => `${p.field}: ${p.message}`)).toEqual(want);
  });
});
