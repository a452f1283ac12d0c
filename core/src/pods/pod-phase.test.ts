import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '@kernelet/sdk/common';
import { getPhase, type PodPhase } from './pod-phase.js';

const running: NonNullable<ContainerStatus['state']> = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const waiting: NonNullable<ContainerStatus['state']> = { waiting: { reason: 'ContainerCreating' } };
const exited = (exitCode: number): NonNullable<ContainerStatus['state']> => ({ terminated: { exitCode, finishedAt: '2026-01-01T00:00:01Z' } });

function st(name: string, state: NonNullable<ContainerStatus['state']>, lastExit?: number): ContainerStatus {
  return { name, image: 'i', imageID: '', ready: false, restartCount: 0, state, ...(lastExit !== undefined ? { lastState: exited(lastExit) } : {}) };
}

function pod(restartPolicy: string, apps: string[], inits: string[] = [], source?: string): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u', ...(source ? { annotations: { 'kubernetes.io/config.source': source } } : {}) },
    spec: { restartPolicy, initContainers: inits.map((name) => ({ name })), containers: apps.map((name) => ({ name })) },
  };
}

const cases: [string, Pod, ContainerStatus[], boolean, PodPhase][] = [
  ['no statuses yet', pod('Always', ['a']), [], false, 'Pending'],
  ['waiting to start', pod('Always', ['a']), [st('a', waiting)], false, 'Pending'],
  ['all running', pod('Always', ['a', 'b']), [st('a', running), st('b', running)], false, 'Running'],
  ['one running, one unknown', pod('Always', ['a', 'b']), [st('a', running)], false, 'Pending'],
  ['Always, all exited: restarting', pod('Always', ['a']), [st('a', exited(1))], false, 'Running'],
  ['Always, crash loop (waiting after a failure)', pod('Always', ['a']), [st('a', waiting, 1)], false, 'Running'],
  ['Never, exited 1', pod('Never', ['a']), [st('a', exited(1))], false, 'Failed'],
  ['Never, exited 0', pod('Never', ['a']), [st('a', exited(0))], false, 'Succeeded'],
  ['OnFailure, exited 0', pod('OnFailure', ['a']), [st('a', exited(0))], false, 'Succeeded'],
  ['OnFailure, exited 1: restarting', pod('OnFailure', ['a']), [st('a', exited(1))], false, 'Running'],
  ['Never, one failed, one running', pod('Never', ['a', 'b']), [st('a', exited(1)), st('b', running)], false, 'Running'],
  ['init running', pod('Always', ['a'], ['i']), [st('i', running), st('a', waiting)], false, 'Pending'],
  ['init failed under Never', pod('Never', ['a'], ['i']), [st('i', exited(1)), st('a', waiting)], false, 'Failed'],
  ['init failed under Always: pending (retried)', pod('Always', ['a'], ['i']), [st('i', exited(1)), st('a', waiting)], false, 'Pending'],
  ['init done, app running', pod('Always', ['a'], ['i']), [st('i', exited(0)), st('a', running)], false, 'Running'],
  ['terminal regular pod, all stopped, one failed', pod('Always', ['a', 'b']), [st('a', exited(0)), st('b', exited(137))], true, 'Failed'],
  ['terminal regular pod, all succeeded', pod('Always', ['a']), [st('a', exited(0))], true, 'Succeeded'],
  ['terminal static pod keeps the restart-policy phase', pod('Always', ['a'], [], 'file'), [st('a', exited(137))], true, 'Running'],
];

describe('getPhase', () => {
  it.each(cases)('%s', (_name, p, statuses, terminal, phase) => {
    expect(getPhase(p, statuses, terminal)).toBe(phase);
  });
});
