import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '@kernelet/sdk/common';
import { getPhase, type PodPhase } from './pod-phase.js';

const running: NonNullable<ContainerStatus['state']> = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const waiting: NonNullable<ContainerStatus['state']> = { waiting: { reason: 'ContainerCreating' } };
const exited = (exitCode: number): NonNullable<ContainerStatus['state']> => ({ terminated: { exitCode, finishedAt: '2026-01-01T00:00:01Z' } });

function st(name: string, state: NonNullable<ContainerStatus['state']>, lastExit?: number): ContainerStatus {
  return { name, image: 'i', imageID: '', ready: false, restartCount: 0, started: state.running !== undefined, state, ...(lastExit !== undefined ? { lastState: exited(lastExit) } : {}) };
}

/** An init container whose name starts with "side" is a sidecar (restartPolicy Always). */
function pod(restartPolicy: string, apps: string[], inits: string[] = [], source?: string): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u', ...(source ? { annotations: { 'kubernetes.io/config.source': source } } : {}) },
    spec: { restartPolicy, initContainers: inits.map((name) => ({ name, ...(name.startsWith('side') ? { restartPolicy: 'Always' } : {}) })), containers: apps.map((name) => ({ name })) },
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
  // Sidecars (restartable init containers), as upstream getPhase.
  ['sidecar not started yet', pod('Never', ['a'], ['side']), [st('side', waiting), st('a', waiting)], false, 'Pending'],
  ['sidecar running but not started (startup pending)', pod('Never', ['a'], ['side']), [{ ...st('side', running), started: false }, st('a', waiting)], false, 'Pending'],
  ['sidecar running, init after it running', pod('Never', ['a'], ['side', 'i']), [st('side', running), st('i', running), st('a', waiting)], false, 'Pending'],
  ['sidecar and app running', pod('Never', ['a'], ['side']), [st('side', running), st('a', running)], false, 'Running'],
  ['Never, app succeeded, sidecar still running', pod('Never', ['a'], ['side']), [st('side', running), st('a', exited(0))], false, 'Running'],
  ['Never, app succeeded, sidecar stopped (137): Succeeded', pod('Never', ['a'], ['side']), [st('side', exited(137)), st('a', exited(0))], false, 'Succeeded'],
  ['Never, app failed, sidecar stopped (0): Failed', pod('Never', ['a'], ['side']), [st('side', exited(0)), st('a', exited(1))], false, 'Failed'],
  ['OnFailure, app succeeded, sidecar stopped: Succeeded', pod('OnFailure', ['a'], ['side']), [st('side', exited(1)), st('a', exited(0))], false, 'Succeeded'],
  ['sidecar restarting (crash loop) while the app runs', pod('Always', ['a'], ['side']), [st('side', waiting, 1), st('a', running)], false, 'Running'],
  ['sidecar restarting after the app ran: not back to Pending', pod('Never', ['a'], ['side']), [{ ...st('side', running), started: false }, st('a', running)], false, 'Running'],
  ['sidecar failed under Never does not fail the pod', pod('Never', ['a'], ['side', 'i']), [st('side', waiting, 1), st('i', running), st('a', waiting)], false, 'Pending'],
  ['terminal regular pod with a sidecar killed (137): app decides', pod('Always', ['a'], ['side']), [st('side', exited(137)), st('a', exited(0))], true, 'Succeeded'],
  ['sidecar status missing: Pending', pod('Always', ['a'], ['side']), [st('a', running)], false, 'Pending'],
];

describe('getPhase', () => {
  it.each(cases)('%s', (_name, p, statuses, terminal, phase) => {
    expect(getPhase(p, statuses, terminal)).toBe(phase);
  });
});
