// The acceptance scenarios of running static pods, against containerd and against the
// embedded runtime: real agent processes, real runtimes, manifests in a directory.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '@kernelet/sdk/common';
import { IS_ROOT, PodAgent, SETUP_TIMEOUT_MS, podCgroupDirs, podManifest, processesOfPod, setupContainerd, shimsOf, sleep, type RuntimeKind } from './pod-harness.js';

const RUNTIMES: RuntimeKind[] = ['containerd', 'embedded'];

const main = (pod: Pod): ContainerStatus | undefined => pod.status?.containerStatuses?.find((c) => c.name === 'main');
const running = (pod: Pod) => main(pod)?.state?.running !== undefined;

describe.each(RUNTIMES)('static pods on %s', (runtime) => {
  const skip = !IS_ROOT;
  let endpoint = '';
  let agent: PodAgent | undefined;

  beforeAll(async () => {
    if (skip) return;
    if (runtime === 'containerd') endpoint = await setupContainerd();
  }, SETUP_TIMEOUT_MS);

  afterEach(async () => {
    await agent?.dispose();
    agent = undefined;
  }, 60_000);

  afterAll(() => undefined);

  const start = async (options: Partial<Parameters<typeof PodAgent.start>[0]> = {}) => {
    agent = await PodAgent.start({ runtime, endpoint, ...options });
    return agent;
  };

  it.skipIf(skip)('starts a dropped manifest, replaces it when edited, and removes everything when it is deleted', async () => {
    const a = await start();
    await a.writeManifest('web.yaml', podManifest('web'));
    const first = await a.waitForPod('web', running, 30_000, 'running');
    expect(first.status?.phase).toBe('Running');
    const firstUID = first.metadata?.uid ?? '';
    await a.waitForRuntime(firstUID, (s) => s.running === 1 && s.sandboxes === 1);
    const firstSandboxes = (await a.cri.sandboxes({ 'io.kubernetes.pod.uid': firstUID })).map((s) => s.id);

    // Editing the manifest is a new pod (new UID): the old one stops first.
    await a.writeManifest('web.yaml', podManifest('web', { command: ['sh', '-c', 'trap "exit 0" TERM; echo edited; sleep 3600 & wait'] }));
    const second = await a.waitForPod('web', (p) => p.metadata?.uid !== firstUID && running(p), 30_000, 'replaced and running');
    const secondUID = second.metadata?.uid ?? '';
    expect(secondUID).not.toBe(firstUID);
    await a.waitForRuntime(firstUID, (s) => s.containers === 0 && s.sandboxes === 0);
    await a.waitForRuntime(secondUID, (s) => s.running === 1);

    // Deleting it stops and removes the containers and the sandbox, with nothing left behind.
    const secondSandboxes = (await a.cri.sandboxes({ 'io.kubernetes.pod.uid': secondUID })).map((s) => s.id);
    await a.removeManifest('web.yaml');
    await a.waitForGone('web');
    await a.waitForRuntime(secondUID, (s) => s.containers === 0 && s.sandboxes === 0);
    // The pod's cgroup goes right after its sandbox; processes and shims are gone with it.
    const leftovers = () => ({
      processes: [firstUID, secondUID].flatMap(processesOfPod),
      cgroups: [firstUID, secondUID].flatMap(podCgroupDirs),
      shims: runtime === 'containerd' ? shimsOf([...firstSandboxes, ...secondSandboxes]) : [],
    });
    for (let i = 0; i < 50 && JSON.stringify(leftovers()) !== JSON.stringify({ processes: [], cgroups: [], shims: [] }); i++) await sleep(100);
    expect(leftovers()).toEqual({ processes: [], cgroups: [], shims: [] });
  }, 120_000);

  it.skipIf(skip)('restarts a failing container under restartPolicy Always with a doubling backoff', async () => {
    const a = await start();
    await a.writeManifest('crash.yaml', podManifest('crash', { command: ['sh', '-c', 'exit 3'] }));
    // The test-only knob makes the initial delay 1 s: restarts after 0, 1, 2, 4 s.
    const starts = new Map<number, number>();
    let sawBackoff = false;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (starts.size < 5 || !sawBackoff)) {
      const pod = await a.pod('crash');
      const status = pod && main(pod);
      if (status) {
        if (status.state?.waiting?.reason === 'CrashLoopBackOff') sawBackoff = true;
        const uid = pod?.metadata?.uid ?? '';
        for (const c of await a.cri.containers({ 'io.kubernetes.pod.uid': uid, 'io.kubernetes.container.name': 'main' })) {
          const attempt = c.metadata?.attempt ?? 0;
          if (!starts.has(attempt)) starts.set(attempt, Number(c.createdAt / 1_000_000n));
        }
      }
      await sleep(100);
    }
    expect(sawBackoff).toBe(true);
    const times = [...starts.entries()].sort((x, y) => x[0] - y[0]).map(([, t]) => t);
    expect(times.length).toBeGreaterThanOrEqual(5);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // Attempt 1 follows at once; then each wait is the backoff (1 s, 2 s, 4 s) plus the time to
    // see the exit and start again: the waits double.
    for (const [i, backoff] of [[1, 1000], [2, 2000], [3, 4000]] as const) {
      expect(gaps[i], `wait before attempt ${i + 1}`).toBeGreaterThanOrEqual(backoff);
      expect(gaps[i], `wait before attempt ${i + 1}`).toBeLessThan(backoff + 1500);
    }
    expect(gaps[0]).toBeLessThan(1500);
    const pod = await a.waitForPod('crash', (p) => (main(p)?.restartCount ?? 0) >= 4, 10_000, 'restarted 4 times');
    expect(main(pod)?.lastState?.terminated?.exitCode).toBe(3);
    expect(pod.status?.phase).toBe('Running');
  }, 90_000);

  it.skipIf(skip)('ends a pod Failed under restartPolicy Never, with the exit code', async () => {
    const a = await start();
    await a.writeManifest('once.yaml', podManifest('once', { restartPolicy: 'Never', command: ['sh', '-c', 'exit 7'] }));
    const pod = await a.waitForPod('once', (p) => p.status?.phase === 'Failed', 30_000, 'Failed');
    expect(main(pod)?.state?.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(main(pod)?.restartCount).toBe(0);
    await sleep(2500);
    const uid = pod.metadata?.uid ?? '';
    expect((await a.cri.containers({ 'io.kubernetes.pod.uid': uid })).map((c) => c.metadata?.attempt)).toEqual([0]);
    expect((await a.runtimeState(uid)).running).toBe(0);
  }, 60_000);

  it.skipIf(skip)('runs init containers in order, and a failing one blocks the app containers', async () => {
    const a = await start();
    const init = (name: string, script: string) => ({ name, image: 'localhost/kernelet-test/busybox:v1', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] });
    await a.writeManifest(
      'ordered.yaml',
      podManifest('ordered', { initContainers: [init('first', 'sleep 0.3; exit 0'), init('second', 'exit 0')] }),
    );
    await a.writeManifest('blocked.yaml', podManifest('blocked', { restartPolicy: 'Never', initContainers: [init('ok', 'exit 0'), init('fails', 'exit 4'), init('never', 'exit 0')] }));

    const ordered = await a.waitForPod('ordered', running, 40_000, 'running after its init containers');
    const inits = ordered.status?.initContainerStatuses ?? [];
    expect(inits.map((s) => [s.name, s.state?.terminated?.exitCode])).toEqual([['first', 0], ['second', 0]]);
    const finished = (s: ContainerStatus | undefined) => Date.parse(s?.state?.terminated?.finishedAt ?? '');
    const startedAt = (s: ContainerStatus | undefined) => Date.parse(s?.state?.terminated?.startedAt ?? '');
    expect(startedAt(inits[1])).toBeGreaterThanOrEqual(finished(inits[0]));
    expect(ordered.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');

    const blocked = await a.waitForPod('blocked', (p) => p.status?.phase === 'Failed', 40_000, 'Failed');
    const byName = new Map((blocked.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
    expect(byName.get('ok')?.state?.terminated?.exitCode).toBe(0);
    expect(byName.get('fails')?.state?.terminated?.exitCode).toBe(4);
    expect(byName.get('never')?.state?.terminated).toBeUndefined();
    expect(main(blocked)?.state?.running).toBeUndefined();
    const uid = blocked.metadata?.uid ?? '';
    const names = (await a.cri.containers({ 'io.kubernetes.pod.uid': uid })).map((c) => c.labels['io.kubernetes.container.name']);
    expect(names).not.toContain('main');
    expect(names).not.toContain('never');
  }, 90_000);

  it.skipIf(skip)('rejects a pod asking for more CPU than allocatable (OutOfcpu) and unsafe sysctls (SysctlForbidden) unless allowed', async () => {
    const a = await start({ config: { allowedUnsafeSysctls: ['kernel.msg*'] }, args: ['--node-labels', 'disktype=ssd'] });
    const big = podManifest('big');
    big.spec!.containers[0]!.resources = { requests: { cpu: '1000' } };
    await a.writeManifest('big.yaml', big);
    await a.writeManifest('unsafe.yaml', podManifest('unsafe', { securityContext: { sysctls: [{ name: 'kernel.sem', value: '250 32000 32 128' }] } }));
    await a.writeManifest('allowed.yaml', podManifest('allowed', { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }));
    await a.writeManifest('fits.yaml', podManifest('fits'));

    const rejected = await a.waitForPod('big', (p) => p.status?.phase === 'Failed', 30_000, 'rejected');
    expect(rejected.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu' });
    expect(rejected.status?.message).toMatch(/^Pod was rejected: Node didn't have enough resource: cpu, requested: 1000000, used: \d+, capacity: \d+$/);
    const unsafe = await a.waitForPod('unsafe', (p) => p.status?.phase === 'Failed', 30_000, 'rejected');
    expect(unsafe.status).toMatchObject({ phase: 'Failed', reason: 'SysctlForbidden', message: 'Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted' });
    await a.waitForPod('allowed', running, 30_000, 'running');
    await a.waitForPod('fits', running, 30_000, 'running');
    expect((await a.runtimeState(rejected.metadata?.uid ?? '')).sandboxes).toBe(0);
    const rejection = await a.process.waitForLog('pod rejected', { reason: 'OutOfcpu' });
    expect(rejection).toMatchObject({ pod: `default/big-node-a`, handler: 'predicates' });

    // nodeSelector against the node's labels (--node-labels and the built-in ones), host ports
    // against the pods already admitted (host network makes every container port a host port).
    await a.writeManifest('picky.yaml', podManifest('picky', { nodeSelector: { disktype: 'hdd' } }));
    await a.writeManifest('suited.yaml', podManifest('suited', { nodeSelector: { disktype: 'ssd', 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux' } }));
    const port = { hostNetwork: true, containers: [{ ...podManifest('x').spec!.containers[0]!, ports: [{ containerPort: 39127 }] }] };
    await a.writeManifest('port-a.yaml', podManifest('port-a', port));
    await a.waitForPod('port-a', running, 30_000, 'running');
    await a.writeManifest('port-b.yaml', podManifest('port-b', port));
    const picky = await a.waitForPod('picky', (p) => p.status?.phase === 'Failed', 30_000, 'rejected');
    expect(picky.status).toMatchObject({ reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    await a.waitForPod('suited', running, 30_000, 'running');
    const portB = await a.waitForPod('port-b', (p) => p.status?.phase === 'Failed', 30_000, 'rejected');
    expect(portB.status).toMatchObject({ reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
  }, 90_000);

  it.skipIf(skip)('adopts running containers after an agent restart: same IDs, same start times', async () => {
    const a = await start();
    await a.writeManifest('steady.yaml', podManifest('steady'));
    const before = await a.waitForPod('steady', running, 30_000, 'running');
    await a.stopAgent();
    const b = await PodAgent.start({ runtime, endpoint, root: a.root });
    agent = b;
    // Give the new agent time to sync the pod a few times.
    const after = await b.waitForPod('steady', running, 30_000, 'running');
    await sleep(3000);
    const again = (await b.pod('steady')) as Pod;
    for (const pod of [after, again]) {
      expect(pod.metadata?.uid).toBe(before.metadata?.uid);
      expect(main(pod)?.containerID).toBe(main(before)?.containerID);
      expect(main(pod)?.state?.running?.startedAt).toBe(main(before)?.state?.running?.startedAt);
      expect(main(pod)?.restartCount).toBe(0);
    }
    const uid = before.metadata?.uid ?? '';
    expect(await b.runtimeState(uid)).toEqual({ containers: 1, running: 1, sandboxes: 1 });
    expect(b.process.logs('pod sandbox created')).toEqual([]);
  }, 90_000);
});
