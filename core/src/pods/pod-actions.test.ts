import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@kernelet/sdk/common';
import { hashContainer } from './container-hash.js';
import { computePodActions } from './pod-actions.js';
import type { RuntimeContainerState, RuntimeContainerStatus, RuntimePodStatus } from './runtime-status.js';

/** A container; one whose name starts with "side" is a sidecar (an init container with restartPolicy Always). */
const app = (name: string): Container => ({ name, image: 'busybox:v1', command: ['sleep', '600'], ...(name.startsWith('side') ? { restartPolicy: 'Always' } : {}) });

function pod(options: { restartPolicy?: 'Always' | 'OnFailure' | 'Never'; inits?: string[]; apps?: string[] } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: {
      restartPolicy: options.restartPolicy ?? 'Always',
      initContainers: (options.inits ?? []).map(app),
      containers: (options.apps ?? ['a']).map(app),
    },
  };
}

let seq = 0;
function c(name: string, state: RuntimeContainerState, exitCode = 0, extra: Partial<RuntimeContainerStatus> = {}): RuntimeContainerStatus {
  seq++;
  return {
    id: `${name}-${seq}`,
    name,
    podSandboxId: 's1',
    state,
    createdAt: seq,
    startedAt: seq,
    finishedAt: state === 'exited' ? seq : 0,
    exitCode,
    image: 'busybox:v1',
    imageRef: 'sha256:x',
    hash: hashContainer(app(name)),
    restartCount: 0,
    reason: '',
    message: '',
    ...extra,
  };
}

function status(sandbox: 'ready' | 'notready' | 'none', containers: RuntimeContainerStatus[] = [], attempt = 0): RuntimePodStatus {
  return {
    uid: 'uid-1',
    name: 'p',
    namespace: 'default',
    sandboxes: sandbox === 'none' ? [] : [{ id: 's1', state: sandbox, attempt, createdAt: 1, ips: [] }],
    containers: [...containers].reverse(),
  };
}

interface Case {
  name: string;
  pod: Pod;
  status: RuntimePodStatus;
  want: { killPod: boolean; createSandbox: boolean; attempt?: number; inits?: string[]; start: number[]; kill?: string[] };
}

const cases: Case[] = [
  { name: 'new pod: create the sandbox and start every container', pod: pod({ apps: ['a', 'b'] }), status: status('none'), want: { killPod: true, createSandbox: true, attempt: 0, start: [0, 1] } },
  { name: 'new pod with init containers: the first init container only', pod: pod({ inits: ['i1', 'i2'] }), status: status('none'), want: { killPod: true, createSandbox: true, inits: ['i1'], start: [] } },
  { name: 'all running: nothing to do', pod: pod({ apps: ['a', 'b'] }), status: status('ready', [c('a', 'running'), c('b', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  { name: 'sandbox died: new sandbox with the next attempt', pod: pod(), status: status('notready', [c('a', 'exited', 137)], 2), want: { killPod: true, createSandbox: true, attempt: 3, start: [0] } },
  { name: 'Always: exited 0 is restarted', pod: pod(), status: status('ready', [c('a', 'exited', 0)]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'OnFailure: exited 1 is restarted', pod: pod({ restartPolicy: 'OnFailure' }), status: status('ready', [c('a', 'exited', 1)]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'OnFailure: exited 0 is done and the pod stops', pod: pod({ restartPolicy: 'OnFailure' }), status: status('ready', [c('a', 'exited', 0)]), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'Never: exited 1 is not restarted, the pod stops', pod: pod({ restartPolicy: 'Never' }), status: status('ready', [c('a', 'exited', 1)]), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'Never: one still running keeps the pod', pod: pod({ restartPolicy: 'Never', apps: ['a', 'b'] }), status: status('ready', [c('a', 'exited', 1), c('b', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  { name: 'Never, sandbox gone after the run: no new sandbox', pod: pod({ restartPolicy: 'Never' }), status: status('notready', [c('a', 'exited', 0)]), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'created but never started: started again', pod: pod(), status: status('ready', [c('a', 'created')]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'unknown state: killed, then started', pod: pod(), status: status('ready', [c('a', 'unknown')]), want: { killPod: false, createSandbox: false, start: [0], kill: ['a'] } },
  { name: 'changed spec: killed and started', pod: pod(), status: status('ready', [c('a', 'running', 0, { hash: 'other' })]), want: { killPod: false, createSandbox: false, start: [0], kill: ['a'] } },
  { name: 'init 1 succeeded: init 2 next', pod: pod({ inits: ['i1', 'i2'] }), status: status('ready', [c('i1', 'exited', 0)]), want: { killPod: false, createSandbox: false, inits: ['i2'], start: [] } },
  { name: 'init running: wait', pod: pod({ inits: ['i1', 'i2'] }), status: status('ready', [c('i1', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  { name: 'init failed under Always: retried', pod: pod({ inits: ['i1', 'i2'] }), status: status('ready', [c('i1', 'exited', 0), c('i2', 'exited', 2)]), want: { killPod: false, createSandbox: false, inits: ['i2'], start: [] } },
  { name: 'init failed under Never: the pod stops, app containers never start', pod: pod({ restartPolicy: 'Never', inits: ['i1'] }), status: status('ready', [c('i1', 'exited', 2)]), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'inits done: app containers start', pod: pod({ inits: ['i1', 'i2'], apps: ['a'] }), status: status('ready', [c('i1', 'exited', 0), c('i2', 'exited', 0)]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'init OOMKilled counts as failed', pod: pod({ inits: ['i1'] }), status: status('ready', [c('i1', 'exited', 0, { reason: 'OOMKilled' })]), want: { killPod: false, createSandbox: false, inits: ['i1'], start: [] } },
  { name: 'app running: init containers are not re-run even if gone', pod: pod({ inits: ['i1'] }), status: status('ready', [c('a', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  // Sidecars (restartable init containers), as upstream computeInitContainerActions.
  { name: 'sidecar: a new pod starts with it', pod: pod({ inits: ['side1', 'i1'] }), status: status('none'), want: { killPod: true, createSandbox: true, inits: ['side1'], start: [] } },
  { name: 'sidecar running: the next init container starts', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'running')]), want: { killPod: false, createSandbox: false, inits: ['i1'], start: [] } },
  { name: 'sidecars running: the init container after both starts', pod: pod({ inits: ['side1', 'side2', 'i1'] }), status: status('ready', [c('side1', 'running'), c('side2', 'running')]), want: { killPod: false, createSandbox: false, inits: ['i1'], start: [] } },
  { name: 'sidecar last and running: the app containers start', pod: pod({ inits: ['i1', 'side1'], apps: ['a', 'b'] }), status: status('ready', [c('i1', 'exited', 0), c('side1', 'running')]), want: { killPod: false, createSandbox: false, start: [0, 1] } },
  { name: 'sidecar created but not running: started again', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'created')]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [] } },
  { name: 'sidecar exited before the next init ran: restarted, the next one waits', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'exited', 1)]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [] } },
  { name: 'sidecar and a running init container: wait', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'running'), c('i1', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  { name: 'sidecar exited while the init container after it runs: restarted', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'exited', 0), c('i1', 'running')]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [] } },
  { name: 'sidecar running, inits done: app containers start', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'running'), c('i1', 'exited', 0)]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'sidecar exited under Never while the app runs: restarted', pod: pod({ restartPolicy: 'Never', inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'exited', 0), c('i1', 'exited', 0), c('a', 'running')]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [] } },
  { name: 'sidecar status gone after initialization: started again, init containers are not', pod: pod({ inits: ['side1', 'i1'] }), status: status('ready', [c('a', 'running')]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [] } },
  { name: 'sidecar spec changed: killed and started again', pod: pod({ inits: ['side1'] }), status: status('ready', [c('side1', 'running', 0, { hash: 'other' }), c('a', 'running')]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [], kill: ['side1'] } },
  { name: 'sidecar in unknown state: killed and started again', pod: pod({ inits: ['side1'] }), status: status('ready', [c('side1', 'unknown'), c('a', 'running')]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [], kill: ['side1'] } },
  { name: 'Never: the app exited, the sidecar alone does not keep the pod', pod: pod({ restartPolicy: 'Never', inits: ['side1'] }), status: status('ready', [c('side1', 'running'), c('a', 'exited', 0)]), want: { killPod: true, createSandbox: false, start: [] } },
  // As upstream: an exited app container does not prove the pod initialized (after a reboot all have exited), so the sidecar runs once more and the next sync stops the pod.
  { name: 'Never: app and sidecar exited, sandbox up: the sidecar starts again first', pod: pod({ restartPolicy: 'Never', inits: ['side1'] }), status: status('ready', [c('side1', 'exited', 0), c('a', 'exited', 0)]), want: { killPod: false, createSandbox: false, inits: ['side1'], start: [] } },
  { name: 'Never: app exited, sidecar exited, sandbox stopped: nothing restarts', pod: pod({ restartPolicy: 'Never', inits: ['side1'] }), status: status('notready', [c('side1', 'exited', 137), c('a', 'exited', 0)], 0), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'Always: the app exited, it restarts and the sidecar keeps running', pod: pod({ inits: ['side1'] }), status: status('ready', [c('side1', 'running'), c('a', 'exited', 1)]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'Never: an init container after a sidecar failed: the pod stops', pod: pod({ restartPolicy: 'Never', inits: ['side1', 'i1'] }), status: status('ready', [c('side1', 'running'), c('i1', 'exited', 1)]), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'OnFailure, sandbox gone after the app succeeded: no new sandbox for the sidecar', pod: pod({ restartPolicy: 'OnFailure', inits: ['side1'] }), status: status('notready', [c('side1', 'exited', 137), c('a', 'exited', 0)], 1), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'sidecar pod, sandbox died while running: start over with the first init container', pod: pod({ inits: ['side1', 'i1'] }), status: status('notready', [c('side1', 'exited', 137), c('i1', 'exited', 0), c('a', 'exited', 137)], 1), want: { killPod: true, createSandbox: true, inits: ['side1'], start: [] } },
  { name: 'two ready sandboxes: start over', pod: pod(), status: { ...status('ready', [c('a', 'running')]), sandboxes: [{ id: 's2', state: 'ready', attempt: 1, createdAt: 2, ips: [] }, { id: 's1', state: 'ready', attempt: 0, createdAt: 1, ips: [] }] }, want: { killPod: true, createSandbox: true, attempt: 2, start: [0] } },
];

describe('computePodActions', () => {
  it.each(cases)('$name', ({ pod: p, status: s, want }) => {
    const actions = computePodActions(p, s);
    const inits = p.spec?.initContainers ?? [];
    expect({
      killPod: actions.killPod,
      createSandbox: actions.createSandbox,
      ...(want.attempt !== undefined ? { attempt: actions.attempt } : {}),
      ...(want.inits !== undefined ? { inits: actions.initContainersToStart.map((i) => inits[i]?.name) } : {}),
      start: actions.containersToStart,
      ...(want.kill !== undefined ? { kill: [...actions.containersToKill.values()].map((k) => k.name) } : {}),
    }).toEqual(want);
    if (want.inits === undefined) expect(actions.initContainersToStart).toEqual([]);
  });
});
