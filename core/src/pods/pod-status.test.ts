import { describe, expect, it } from 'vitest';
import type { Pod, PodStatus } from '@kernelet/sdk/common';
import { generatePodStatus, rejectedPodStatus, type WaitingReason } from './pod-status.js';
import type { RuntimeContainerStatus } from './runtime-status.js';

const pod = (requests: Record<string, string>): Pod => ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'c', resources: { requests } }] } });

describe('rejectedPodStatus', () => {
  // upstream rejectPod: phase Failed, the handler's reason, "Pod was rejected: " + its message, the pod's QoS class.
  it.each<[string, Pod, string, string, string]>([
    ['resources', pod({ cpu: '3' }), 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000", 'Burstable'],
    ['sysctls', pod({}), 'SysctlForbidden', 'forbidden sysctl: "kernel.sem" not allowlisted', 'BestEffort'],
    ['topology', pod({}), 'TopologyAffinityError', 'Resources cannot be allocated with Topology locality', 'BestEffort'],
    ['a plugin', pod({}), 'NodeShutdown', 'Pod was rejected as the node is shutting down.', 'BestEffort'],
  ])('%s', (_name, p, reason, message, qosClass) => {
    expect(rejectedPodStatus(p, reason, message, Date.UTC(2025, 0, 1))).toEqual({
      phase: 'Failed',
      reason,
      message: `Pod was rejected: ${message}`,
      startTime: '2025-01-01T00:00:00Z',
      qosClass,
    });
  });
});

describe('generatePodStatus with a sidecar', () => {
  const sidecarPod = (restartPolicy: string): Pod => ({
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { restartPolicy, initContainers: [{ name: 'side', image: 'i', restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'i' }] },
  });
  const run = (name: string, state: RuntimeContainerStatus['state'], exitCode: number, restartCount: number, at: number): RuntimeContainerStatus => ({
    id: `${name}-${restartCount}`,
    name,
    podSandboxId: 's',
    state,
    createdAt: at,
    startedAt: at,
    finishedAt: state === 'exited' ? at + 1000 : 0,
    exitCode,
    image: 'i',
    imageRef: 'sha256:i',
    hash: '',
    restartCount,
    reason: '',
    message: '',
  });
  const generate = (p: Pod, containers: RuntimeContainerStatus[], reasons: Map<string, WaitingReason> = new Map()) =>
    generatePodStatus({
      pod: p,
      runtime: { uid: 'u', name: 'p', namespace: 'default', sandboxes: [{ id: 's', state: 'ready', attempt: 0, createdAt: 0, ips: ['10.0.0.2'] }], containers },
      reasons,
      previous: undefined,
      podIsTerminal: false,
      nodeIPs: ['10.0.0.1'],
      runtimeName: 'containerd',
      now: Date.UTC(2025, 0, 1),
    });
  const conditionOf = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type);

  it('lists a running sidecar in initContainerStatuses, started and ready, and the pod initialized', () => {
    const s = generate(sidecarPod('Never'), [run('app', 'running', 0, 0, 2000), run('side', 'running', 0, 1, 1000)]);
    expect(s.initContainerStatuses?.map((c) => ({ name: c.name, started: c.started, ready: c.ready, restartCount: c.restartCount }))).toEqual([{ name: 'side', started: true, ready: true, restartCount: 1 }]);
    expect(s.containerStatuses?.map((c) => c.name)).toEqual(['app']);
    expect(s.phase).toBe('Running');
    expect(conditionOf(s, 'Initialized')?.status).toBe('True');
    expect(conditionOf(s, 'ContainersReady')?.status).toBe('True');
  });

  it('shows a crash-looping sidecar waiting and not ready, and the pod not ready while it restarts', () => {
    const reasons = new Map([['side', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=side' }]]);
    const s = generate(sidecarPod('Never'), [run('app', 'running', 0, 0, 2000), run('side', 'exited', 1, 2, 1000)], reasons);
    const side = s.initContainerStatuses?.[0];
    expect(side?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(side?.lastState?.terminated?.exitCode).toBe(1);
    expect(side?.ready).toBe(false);
    expect(side?.restartCount).toBe(2);
    expect(s.phase).toBe('Running');
    expect(conditionOf(s, 'ContainersReady')).toMatchObject({ status: 'False', message: 'containers with unready status: [side]' });
  });

  it('is Succeeded under Never once the app exited 0 and the sidecar was stopped', () => {
    const s = generate(sidecarPod('Never'), [run('app', 'exited', 0, 0, 2000), run('side', 'exited', 137, 0, 1000)]);
    expect(s.phase).toBe('Succeeded');
    expect(s.initContainerStatuses?.[0]?.ready).toBe(false);
    expect(s.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(137);
  });

  it('is not initialized while the sidecar has not started', () => {
    const s = generate(sidecarPod('Always'), []);
    expect(conditionOf(s, 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [side]' });
    expect(s.phase).toBe('Pending');
  });
});

describe('generatePodStatus: an init container the runtime no longer reports', () => {
  // upstream convertToAPIContainerStatuses: a status terminated before is kept; else a regular init
  // container gone once an app container was created completed (exit 0, reason Completed).
  const initPod: Pod = {
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { restartPolicy: 'Always', initContainers: [{ name: 'setup', image: 'i' }, { name: 'side', image: 'i', restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'i' }] },
  };
  const container = (name: string, state: RuntimeContainerStatus['state']): RuntimeContainerStatus => ({
    id: `${name}-id`,
    name,
    podSandboxId: 's',
    state,
    createdAt: 1000,
    startedAt: state === 'created' ? 0 : 1000,
    finishedAt: 0,
    exitCode: 0,
    image: 'i',
    imageRef: 'sha256:i',
    hash: '',
    restartCount: 0,
    reason: '',
    message: '',
  });
  const earlierSetup = {
    name: 'setup',
    image: 'i',
    imageID: 'sha256:i',
    containerID: 'containerd://setup-1',
    ready: true,
    restartCount: 0,
    started: false,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:01Z', containerID: 'containerd://setup-1' } },
  };
  const generated = { name: 'setup', image: 'i', imageID: '', ready: false, restartCount: 0, started: false };
  const completed = {
    ...generated,
    ready: true,
    state: { terminated: { exitCode: 0, reason: 'Completed', message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally' } },
  };

  it.each<[string, RuntimeContainerStatus[], PodStatus | undefined, object]>([
    ['gone after the app container was created: completed', [container('app', 'created')], undefined, completed],
    ['gone while the app container runs: completed', [container('side', 'running'), container('app', 'running')], undefined, completed],
    ['gone before any app container was created: still initializing', [], undefined, { ...generated, state: { waiting: { reason: 'PodInitializing' } } }],
    ['gone, terminated in the previous status: that status is kept', [container('app', 'running')], { initContainerStatuses: [earlierSetup] }, earlierSetup],
  ])('%s', (_name, containers, previous, expected) => {
    const status = generatePodStatus({
      pod: initPod,
      runtime: { uid: 'u', name: 'p', namespace: 'default', sandboxes: [{ id: 's', state: 'ready', attempt: 0, createdAt: 0, ips: ['10.0.0.2'] }], containers },
      reasons: new Map(),
      previous,
      podIsTerminal: false,
      nodeIPs: ['10.0.0.1'],
      runtimeName: 'containerd',
      now: Date.UTC(2025, 0, 1),
    });
    expect(status.initContainerStatuses?.find((s) => s.name === 'setup')).toEqual(expected);
  });

  it('leaves a sidecar the runtime no longer reports waiting: it is started again', () => {
    const status = generatePodStatus({
      pod: initPod,
      runtime: { uid: 'u', name: 'p', namespace: 'default', sandboxes: [], containers: [container('app', 'running')] },
      reasons: new Map(),
      previous: undefined,
      podIsTerminal: false,
      nodeIPs: ['10.0.0.1'],
      runtimeName: 'containerd',
      now: Date.UTC(2025, 0, 1),
    });
    expect(status.initContainerStatuses?.find((s) => s.name === 'side')?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
  });
});
