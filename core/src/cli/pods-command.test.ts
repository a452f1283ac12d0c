import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { podStatusText, podsTable } from './pods-command.js';

const pod = (status: NonNullable<Pod['status']>, inits = 0): Pod => ({
  metadata: { name: 'web-node', namespace: 'default' },
  spec: { containers: [{ name: 'a' }], initContainers: Array.from({ length: inits }, (_, i) => ({ name: `i${i}` })) },
  status,
});

/** A pod whose one init container is a sidecar. */
const withSidecar = (status: NonNullable<Pod['status']>): Pod => ({
  metadata: { name: 'web-node', namespace: 'default' },
  spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'side', restartPolicy: 'Always' }] },
  status,
});

describe('podStatusText', () => {
  it.each<[string, Pod, string]>([
    ['running', pod({ phase: 'Running', containerStatuses: [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }), 'Running'],
    ['crash loop', pod({ phase: 'Running', containerStatuses: [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), 'CrashLoopBackOff'],
    ['failed exit', pod({ phase: 'Failed', containerStatuses: [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } }] }), 'Error'],
    ['rejected', pod({ phase: 'Failed', reason: 'OutOfcpu' }), 'OutOfcpu'],
    ['init running', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i0', image: '', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] }, 2), 'Init:0/2'],
    ['init failed', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i0', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, 1), 'Init:Error'],
    ['sidecar running, app running', withSidecar({ phase: 'Running', initContainerStatuses: [{ name: 'side', image: '', imageID: '', ready: true, started: true, restartCount: 0, state: { running: {} } }], containerStatuses: [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }), 'Running'],
    ['sidecar not started yet', withSidecar({ phase: 'Pending', initContainerStatuses: [{ name: 'side', image: '', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] }), 'Init:0/1'],
  ])('%s', (_name, p, text) => expect(podStatusText(p)).toBe(text));
});

describe('podsTable', () => {
  it('prints one aligned row per pod', () => {
    const table = podsTable([pod({ phase: 'Running', podIP: '10.0.0.5', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 2, state: { running: {} } }] })], Date.parse('2026-01-01T00:05:00Z'));
    expect(table).toBe('NAMESPACE   NAME       READY   STATUS    RESTARTS   AGE   IP         MESSAGE\ndefault     web-node   1/1     Running   2          5m    10.0.0.5\n');
  });

  it('counts a started sidecar as a container and its restarts', () => {
    const table = podsTable(
      [withSidecar({ phase: 'Running', podIP: '10.0.0.5', startTime: '2026-01-01T00:00:00Z', initContainerStatuses: [{ name: 'side', image: '', imageID: '', ready: true, started: true, restartCount: 1, state: { running: {} } }], containerStatuses: [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] })],
      Date.parse('2026-01-01T00:05:00Z'),
    );
    expect(table).toBe('NAMESPACE   NAME       READY   STATUS    RESTARTS   AGE   IP         MESSAGE\ndefault     web-node   2/2     Running   1          5m    10.0.0.5\n');
  });
});
