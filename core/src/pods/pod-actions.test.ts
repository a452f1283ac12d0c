import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@kernelet/sdk/common';
import { hashContainer } from './container-hash.js';
import { computePodActions, findNextInitContainerToRun } from './pod-actions.js';
import type { RuntimeContainerState, RuntimeContainerStatus, RuntimePodStatus } from './runtime-status.js';

const app = (name: string): Container => ({ name, image: 'busybox:v1', command: ['sleep', '600'] });

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
  want: { killPod: boolean; createSandbox: boolean; attempt?: number; init?: string; start: number[]; kill?: string[] };
}

const cases: Case[] = [
  { name: 'new pod: create the sandbox and start every container', pod: pod({ apps: ['a', 'b'] }), status: status('none'), want: { killPod: true, createSandbox: true, attempt: 0, start: [0, 1] } },
  { name: 'new pod with init containers: the first init container only', pod: pod({ inits: ['i1', 'i2'] }), status: status('none'), want: { killPod: true, createSandbox: true, init: 'i1', start: [] } },
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
  { name: 'init 1 succeeded: init 2 next', pod: pod({ inits: ['i1', 'i2'] }), status: status('ready', [c('i1', 'exited', 0)]), want: { killPod: false, createSandbox: false, init: 'i2', start: [] } },
  { name: 'init running: wait', pod: pod({ inits: ['i1', 'i2'] }), status: status('ready', [c('i1', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  { name: 'init failed under Always: retried', pod: pod({ inits: ['i1', 'i2'] }), status: status('ready', [c('i1', 'exited', 0), c('i2', 'exited', 2)]), want: { killPod: false, createSandbox: false, init: 'i2', start: [] } },
  { name: 'init failed under Never: the pod stops, app containers never start', pod: pod({ restartPolicy: 'Never', inits: ['i1'] }), status: status('ready', [c('i1', 'exited', 2)]), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'inits done: app containers start', pod: pod({ inits: ['i1', 'i2'], apps: ['a'] }), status: status('ready', [c('i1', 'exited', 0), c('i2', 'exited', 0)]), want: { killPod: false, createSandbox: false, start: [0] } },
  { name: 'init OOMKilled counts as failed', pod: pod({ inits: ['i1'] }), status: status('ready', [c('i1', 'exited', 0, { reason: 'OOMKilled' })]), want: { killPod: false, createSandbox: false, init: 'i1', start: [] } },
  { name: 'app running: init containers are not re-run even if gone', pod: pod({ inits: ['i1'] }), status: status('ready', [c('a', 'running')]), want: { killPod: false, createSandbox: false, start: [] } },
  { name: 'two ready sandboxes: start over', pod: pod(), status: { ...status('ready', [c('a', 'running')]), sandboxes: [{ id: 's2', state: 'ready', attempt: 1, createdAt: 2, ips: [] }, { id: 's1', state: 'ready', attempt: 0, createdAt: 1, ips: [] }] }, want: { killPod: true, createSandbox: true, attempt: 2, start: [0] } },
];

describe('computePodActions', () => {
  it.each(cases)('$name', ({ pod: p, status: s, want }) => {
    const actions = computePodActions(p, s);
    expect({
      killPod: actions.killPod,
      createSandbox: actions.createSandbox,
      ...(want.attempt !== undefined ? { attempt: actions.attempt } : {}),
      ...(want.init !== undefined ? { init: actions.nextInitContainerToStart?.name } : {}),
      start: actions.containersToStart,
      ...(want.kill !== undefined ? { kill: [...actions.containersToKill.values()].map((k) => k.name) } : {}),
    }).toEqual(want);
    if (want.init === undefined) expect(actions.nextInitContainerToStart).toBeUndefined();
  });
});

describe('findNextInitContainerToRun', () => {
  it('is done without init containers', () => {
    expect(findNextInitContainerToRun(pod(), status('ready'))).toEqual({ done: true });
  });
  it('retries the last failed one, not the first', () => {
    const r = findNextInitContainerToRun(pod({ inits: ['i1', 'i2', 'i3'] }), status('ready', [c('i1', 'exited', 0), c('i2', 'exited', 1)]));
    expect(r.next?.name).toBe('i2');
    expect(r.last?.exitCode).toBe(1);
  });
});
