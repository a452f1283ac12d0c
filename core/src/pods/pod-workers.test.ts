import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { PodWorkers, type KillOptions, type PodSyncer } from './pod-workers.js';
import { emptyPodStatus, type RuntimePod, type RuntimePodStatus } from './runtime-status.js';

const logger = pino({ level: 'silent' });

function pod(name: string, uid: string, isStatic = true): Pod {
  return {
    metadata: { name, namespace: 'default', uid, ...(isStatic ? { annotations: { 'kubernetes.io/config.source': 'file' } } : {}) },
    spec: { containers: [{ name: 'c', image: 'i' }] },
  };
}

/** A syncer that records every step and can be told to hold a step until released. */
class FakeSyncer implements PodSyncer {
  readonly calls: string[] = [];
  terminal = new Set<string>();
  failures = new Map<string, number>();
  private holds = new Map<string, () => void>();
  private held = new Set<string>();

  hold(step: string): void {
    this.held.add(step);
  }

  release(step: string): void {
    this.held.delete(step);
    this.holds.get(step)?.();
    this.holds.delete(step);
  }

  private async step(name: string): Promise<void> {
    this.calls.push(name);
    if (this.held.has(name)) await new Promise<void>((r) => this.holds.set(name, r));
    const left = this.failures.get(name) ?? 0;
    if (left > 0) {
      this.failures.set(name, left - 1);
      throw new Error(`${name} failed`);
    }
  }

  async syncPod(p: Pod): Promise<{ terminal: boolean }> {
    await this.step(`sync:${p.metadata?.uid}`);
    return { terminal: this.terminal.has(p.metadata?.uid ?? '') };
  }

  async syncTerminatingPod(p: Pod, _s: RuntimePodStatus, grace: number | undefined, kill: KillOptions | undefined): Promise<void> {
    await this.step(`terminating:${p.metadata?.uid}:${grace ?? '-'}:${kill?.status?.reason ?? ''}`);
  }

  async syncTerminatingRuntimePod(running: RuntimePod, grace: number | undefined): Promise<void> {
    await this.step(`terminating-runtime:${running.uid}:${grace}`);
  }

  async syncTerminatedPod(_p: Pod | undefined, uid: string, deleted: boolean): Promise<void> {
    await this.step(`terminated:${uid}:${deleted}`);
  }
}

const cache = {
  async getNewerThan(uid: string) {
    return { status: emptyPodStatus(uid), error: undefined };
  },
  get(uid: string) {
    return { status: emptyPodStatus(uid), error: undefined };
  },
};

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await tick();
  }
}

function workers(syncer: FakeSyncer, finished: string[] = []): PodWorkers {
  const w: PodWorkers = new PodWorkers(
    syncer,
    cache,
    {
      resyncIntervalMs: 60_000,
      maxErrorBackoffMs: 40,
      onFinished: (uid, deleted, restart) => {
        finished.push(`${uid}:${deleted}`);
        if (restart) w.updatePod({ type: 'create', pod: restart });
      },
    },
    logger,
  );
  return w;
}

describe('PodWorkers', () => {
  it('syncs a new pod, and on kill runs terminating then terminated, once each', async () => {
    const s = new FakeSyncer();
    const finished: string[] = [];
    const w = workers(s, finished);
    w.updatePod({ type: 'create', pod: pod('a', 'u1') });
    await until(() => s.calls.includes('sync:u1'));
    w.updatePod({ type: 'kill', pod: pod('a', 'u1'), kill: { deleted: true, gracePeriodSeconds: 7 } });
    await until(() => finished.length === 1);
    expect(s.calls).toEqual(['sync:u1', 'terminating:u1:7:', 'terminated:u1:true']);
    expect(finished).toEqual(['u1:true']);
    w.stop();
  });

  it('does not start a static pod while the previous pod of the same name still stops', async () => {
    const s = new FakeSyncer();
    const w = workers(s);
    w.updatePod({ type: 'create', pod: pod('web', 'old') });
    await until(() => s.calls.includes('sync:old'));
    s.hold('terminating:old:-:');
    w.updatePod({ type: 'kill', pod: pod('web', 'old'), kill: { deleted: true } });
    w.updatePod({ type: 'create', pod: pod('web', 'new') });
    await tick(30);
    expect(s.calls).not.toContain('sync:new');
    s.release('terminating:old:-:');
    await until(() => s.calls.includes('sync:new'));
    expect(s.calls.indexOf('sync:new')).toBeGreaterThan(s.calls.indexOf('terminating:old:-:'));
    w.stop();
  });

  it('runs a non-static pod of the same name at once', async () => {
    const s = new FakeSyncer();
    const w = workers(s);
    w.updatePod({ type: 'create', pod: pod('web', 'a', false) });
    w.updatePod({ type: 'create', pod: pod('web', 'b', false) });
    await until(() => s.calls.includes('sync:a') && s.calls.includes('sync:b'));
    w.stop();
  });

  it('starts a pod whose UID comes back only after its previous run finished', async () => {
    const s = new FakeSyncer();
    const finished: string[] = [];
    const w = workers(s, finished);
    w.updatePod({ type: 'create', pod: pod('a', 'u1', false) });
    await until(() => s.calls.includes('sync:u1'));
    s.hold('terminated:u1:false');
    s.terminal.add('u1');
    w.updatePod({ type: 'sync', pod: pod('a', 'u1', false) });
    await until(() => s.calls.includes('terminated:u1:false'));
    s.terminal.delete('u1');
    w.updatePod({ type: 'create', pod: pod('a', 'u1', false) });
    await tick(20);
    expect(s.calls.filter((c) => c === 'sync:u1')).toHaveLength(2);
    s.release('terminated:u1:false');
    await until(() => s.calls.filter((c) => c === 'sync:u1').length === 3);
    w.stop();
  });

  it('stops a pod that finished for good (terminal), without deleting it', async () => {
    const s = new FakeSyncer();
    const finished: string[] = [];
    const w = workers(s, finished);
    s.terminal.add('u1');
    w.updatePod({ type: 'create', pod: pod('a', 'u1') });
    await until(() => finished.length === 1);
    expect(s.calls).toEqual(['sync:u1', 'terminating:u1:-:', 'terminated:u1:false']);
    // Removing it from its source later removes what is left.
    w.updatePod({ type: 'kill', pod: pod('a', 'u1'), kill: { deleted: true } });
    await until(() => s.calls.includes('terminated:u1:true'));
    w.stop();
  });

  it('retries a failing sync with a growing delay', async () => {
    const s = new FakeSyncer();
    s.failures.set('sync:u1', 3);
    const w = workers(s);
    const started = Date.now();
    w.updatePod({ type: 'create', pod: pod('a', 'u1') });
    await until(() => s.calls.filter((c) => c === 'sync:u1').length === 4);
    // 500 ms capped at 40 ms here: three retries take at least 3 × 40 ms... minus the first at 0.
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    w.stop();
  });

  it('keeps the shortest grace period asked for, and the eviction status', async () => {
    const s = new FakeSyncer();
    const w = workers(s);
    w.updatePod({ type: 'create', pod: pod('a', 'u1') });
    await until(() => s.calls.includes('sync:u1'));
    s.hold('sync:u1');
    w.updatePod({ type: 'sync', pod: pod('a', 'u1') });
    // The kills must arrive while that sync runs.
    await until(() => s.calls.filter((c) => c === 'sync:u1').length === 2);
    w.updatePod({ type: 'kill', pod: pod('a', 'u1'), kill: { gracePeriodSeconds: 30, status: { phase: 'Failed', reason: 'Evicted', message: 'low memory' } } });
    w.updatePod({ type: 'kill', pod: pod('a', 'u1'), kill: { gracePeriodSeconds: 3 } });
    s.release('sync:u1');
    await until(() => s.calls.some((c) => c.startsWith('terminating:')));
    expect(s.calls.find((c) => c.startsWith('terminating:'))).toBe('terminating:u1:3:Evicted');
    w.stop();
  });

  it('stops a pod only the runtime knows, with the grace period given', async () => {
    const s = new FakeSyncer();
    const finished: string[] = [];
    const w = workers(s, finished);
    w.updatePod({ type: 'kill', runningPod: { uid: 'orphan', name: 'x', namespace: 'default', sandboxes: [], containers: [] }, kill: { gracePeriodSeconds: 1, deleted: true } });
    await until(() => finished.length === 1);
    expect(s.calls).toEqual(['terminating-runtime:orphan:1', 'terminated:orphan:true']);
    w.stop();
  });

  it('never syncs a static pod killed before it started', async () => {
    const s = new FakeSyncer();
    const w = workers(s);
    w.updatePod({ type: 'create', pod: pod('web', 'old') });
    await until(() => s.calls.includes('sync:old'));
    s.hold('terminating:old:-:');
    w.updatePod({ type: 'kill', pod: pod('web', 'old'), kill: { deleted: true } });
    w.updatePod({ type: 'create', pod: pod('web', 'never') });
    await tick(10);
    w.updatePod({ type: 'kill', pod: pod('web', 'never'), kill: { deleted: true } });
    s.release('terminating:old:-:');
    await until(() => s.calls.includes('terminated:never:true'));
    expect(s.calls.filter((c) => c.includes('never'))).toEqual(['terminated:never:true']);
    w.stop();
  });
});
