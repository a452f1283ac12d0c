import { describe, expect, it } from 'vitest';
import { DEFAULT_GC_POLICY, selectGarbage } from './container-gc.js';
import type { RuntimePod } from './runtime-status.js';

type C = RuntimePod['containers'][number];
const c = (id: string, name: string, state: C['state'], createdAt: number, podSandboxId = 's2'): C => ({ id, name, state, createdAt, hash: 'h', restartCount: 0, podSandboxId });

function pod(uid: string, containers: C[], sandboxes: RuntimePod['sandboxes']): RuntimePod {
  return { uid, name: uid, namespace: 'default', containers, sandboxes };
}

describe('selectGarbage', () => {
  it('keeps the newest dead container of each name of a live pod, and never running ones', () => {
    const pods = new Map([['u', pod('u', [c('a1', 'a', 'exited', 1), c('a2', 'a', 'exited', 2), c('a3', 'a', 'running', 3), c('b1', 'b', 'exited', 1)], [{ id: 's2', state: 'ready', createdAt: 2, attempt: 1 }])]]);
    expect(selectGarbage(pods, () => true, DEFAULT_GC_POLICY, 10)).toEqual({ containers: ['a1'], sandboxes: [] });
  });

  it('removes old not-ready sandboxes of a live pod but keeps its newest', () => {
    const pods = new Map([['u', pod('u', [c('a1', 'a', 'running', 5, 's3')], [{ id: 's1', state: 'notready', createdAt: 1, attempt: 0 }, { id: 's2', state: 'notready', createdAt: 2, attempt: 1 }, { id: 's3', state: 'ready', createdAt: 3, attempt: 2 }])]]);
    expect(selectGarbage(pods, () => true, DEFAULT_GC_POLICY, 10).sandboxes.sort()).toEqual(['s1', 's2']);
  });

  it('removes everything dead of a pod that is gone', () => {
    const pods = new Map([['gone', pod('gone', [c('a1', 'a', 'exited', 1, 's1'), c('a2', 'a', 'exited', 2, 's1')], [{ id: 's1', state: 'notready', createdAt: 1, attempt: 0 }])]]);
    expect(selectGarbage(pods, () => false, DEFAULT_GC_POLICY, 10)).toEqual({ containers: ['a1', 'a2'], sandboxes: ['s1'] });
  });

  it('keeps a sandbox that still holds a container', () => {
    const pods = new Map([['gone', pod('gone', [c('a1', 'a', 'running', 1, 's1')], [{ id: 's1', state: 'notready', createdAt: 1, attempt: 0 }])]]);
    expect(selectGarbage(pods, () => false, DEFAULT_GC_POLICY, 10)).toEqual({ containers: [], sandboxes: [] });
  });

  it('respects a minimum age', () => {
    const pods = new Map([['gone', pod('gone', [c('a1', 'a', 'exited', 9, 's1')], [])]]);
    expect(selectGarbage(pods, () => false, { maxPerPodContainer: 1, minAgeMs: 5 }, 10).containers).toEqual([]);
  });
});
