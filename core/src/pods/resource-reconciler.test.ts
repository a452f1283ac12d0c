import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runtime } from '@kernelet/proto';
import type { Pod } from '@kernelet/sdk/common';
import type { RuntimeService } from '../cri/runtime-service.js';
import type { AllocationList, ContainerAllocation, HintProvider } from '../extension-points/hint-provider.js';
import { createLogger } from '../logging/logger.js';
import { PodStore } from './pod-store.js';
import { ResourceReconciler } from './resource-reconciler.js';

type Cpusets = { cpusetCpus?: string; cpusetMems?: string };

/** The part of a CRI runtime the reconciler uses, keeping what each container was set to. */
class FakeRuntime {
  readonly containers: runtime.Container[] = [];
  readonly updates: { id: string; change: Cpusets }[] = [];
  failNextUpdates = 0;

  add(id: string, podUID: string, name: string, createdAtMs: number, state = runtime.ContainerState.CONTAINER_RUNNING): void {
    this.containers.push(
      runtime.Container.fromPartial({
        id,
        state,
        createdAt: BigInt(createdAtMs) * 1_000_000n,
        labels: { 'io.kubernetes.pod.uid': podUID, 'io.kubernetes.container.name': name },
      }),
    );
  }

  asService(): RuntimeService {
    return {
      listContainers: async (filter?: Partial<runtime.ContainerFilter>) =>
        this.containers.filter((c) => filter?.state === undefined || c.state === filter.state.state),
      updateContainerResources: async (id: string, linux: Partial<runtime.LinuxContainerResources>) => {
        if (this.failNextUpdates > 0) {
          this.failNextUpdates--;
          throw new Error('UNAVAILABLE: runtime busy');
        }
        this.updates.push({ id, change: { ...linux } });
      },
    } as unknown as RuntimeService;
  }
}

/** A hint provider whose allocations the test scripts. */
function provider(name: string, list: () => AllocationList | Promise<AllocationList>): HintProvider {
  return { name, listAllocations: async () => list() } as unknown as HintProvider;
}

function pod(uid: string): Pod {
  return { metadata: { name: uid, namespace: 'default', uid }, spec: { containers: [{ name: 'main', image: 'busybox' }] } };
}

function setup(providers: HintProvider[], createdWith: Record<string, ContainerAllocation> = {}) {
  const fake = new FakeRuntime();
  const store = new PodStore();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const reconciler = new ResourceReconciler(
    { periodMs: 60_000, settleMs: 10, providers: () => providers, createdWith: (uid, name) => createdWith[`${uid}/${name}`] },
    fake.asService(),
    store,
    createLogger({ destination: sink }),
  );
  return { fake, store, logs, reconciler };
}

const BEFORE_START = Date.now() - 60_000;

describe('ResourceReconciler', () => {
  it('moves containers without exclusive CPUs with the shared pool as it shrinks and grows', async () => {
    let list: AllocationList = { allocations: [], shared: { cpusetCpus: '0-3' } };
    const { fake, store, reconciler } = setup([provider('cpu-manager', () => list)]);
    store.add(pod('shared-pod'));
    fake.add('c-shared', 'shared-pod', 'main', BEFORE_START);

    // Adopted from before the agent started: set once, whatever it has.
    await reconciler.reconcile();
    expect(fake.updates).toEqual([{ id: 'c-shared', change: { cpusetCpus: '0-3' } }]);

    await reconciler.reconcile();
    expect(fake.updates).toHaveLength(1);

    list = { allocations: [{ podUID: 'pinned-pod', containerName: 'main', cpusetCpus: '2-3' }], shared: { cpusetCpus: '0-1' } };
    await reconciler.reconcile();
    expect(fake.updates.at(-1)).toEqual({ id: 'c-shared', change: { cpusetCpus: '0-1' } });

    list = { allocations: [], shared: { cpusetCpus: '0-3' } };
    await reconciler.reconcile();
    expect(fake.updates.at(-1)).toEqual({ id: 'c-shared', change: { cpusetCpus: '0-3' } });
    expect(fake.updates).toHaveLength(3);
  });

  it('leaves a container this agent created with its allocation alone', async () => {
    const list: AllocationList = { allocations: [{ podUID: 'p', containerName: 'main', cpusetCpus: '2-3', cpusetMems: '0' }], shared: { cpusetCpus: '0-1' } };
    const created = { 'p/main': { podUID: 'p', containerName: 'main', cpusetCpus: '2-3', cpusetMems: '0' } };
    const { fake, store, reconciler } = setup([provider('cpu-manager', () => list)], created);
    store.add(pod('p'));
    fake.add('new', 'p', 'main', Date.now() + 1000);
    await reconciler.reconcile();
    expect(fake.updates).toEqual([]);
  });

  it('sends only the fields that changed, each from the provider that owns it', async () => {
    let cpus: AllocationList = { allocations: [{ podUID: 'p', containerName: 'main', cpusetCpus: '1' }], shared: { cpusetCpus: '0,2-3' } };
    let mems: AllocationList = { allocations: [], shared: { cpusetMems: '0-1' } };
    const { fake, store, reconciler } = setup([provider('cpu-manager', () => cpus), provider('memory-manager', () => mems)]);
    store.add(pod('p'));
    fake.add('c', 'p', 'main', BEFORE_START);
    await reconciler.reconcile();
    expect(fake.updates).toEqual([{ id: 'c', change: { cpusetCpus: '1', cpusetMems: '0-1' } }]);

    mems = { allocations: [{ podUID: 'p', containerName: 'main', cpusetMems: '1' }], shared: { cpusetMems: '0' } };
    await reconciler.reconcile();
    expect(fake.updates.at(-1)).toEqual({ id: 'c', change: { cpusetMems: '1' } });

    cpus = { allocations: [{ podUID: 'p', containerName: 'main', cpusetCpus: '1' }], shared: { cpusetCpus: '0,2' } };
    await reconciler.reconcile();
    expect(fake.updates).toHaveLength(2);
  });

  it('keeps every container as it is while a provider cannot list its allocations', async () => {
    let down = false;
    const list: AllocationList = { allocations: [], shared: { cpusetCpus: '0-3' } };
    const cpu = provider('cpu-manager', () => (down ? Promise.reject(new Error('DEADLINE_EXCEEDED')) : list));
    const { fake, store, logs, reconciler } = setup([cpu]);
    store.add(pod('p'));
    fake.add('c', 'p', 'main', BEFORE_START);
    down = true;
    await reconciler.reconcile();
    expect(fake.updates).toEqual([]);
    expect(logs.some((l) => l['msg'] === 'cannot list allocations; containers keep their cpusets until it answers' && l['plugin'] === 'cpu-manager')).toBe(true);
    down = false;
    await reconciler.reconcile();
    expect(fake.updates).toEqual([{ id: 'c', change: { cpusetCpus: '0-3' } }]);
  });

  it('retries an update the runtime refused on the next pass', async () => {
    const list: AllocationList = { allocations: [], shared: { cpusetCpus: '0-1' } };
    const { fake, store, logs, reconciler } = setup([provider('cpu-manager', () => list)]);
    store.add(pod('p'));
    fake.add('c', 'p', 'main', BEFORE_START);
    fake.failNextUpdates = 1;
    await reconciler.reconcile();
    expect(fake.updates).toEqual([]);
    expect(logs.some((l) => l['msg'] === 'cannot update the container cpuset; retrying next period')).toBe(true);
    await reconciler.reconcile();
    expect(fake.updates).toEqual([{ id: 'c', change: { cpusetCpus: '0-1' } }]);
  });

  it('touches neither containers of pods it does not know or that are terminating, nor stopped ones', async () => {
    const list: AllocationList = { allocations: [], shared: { cpusetCpus: '0-1' } };
    const { fake, store, reconciler } = setup([provider('cpu-manager', () => list)]);
    store.add(pod('leaving'));
    store.terminate({ podUID: 'leaving', phase: 'Succeeded', reason: 'Deleted', message: '' });
    fake.add('c-leaving', 'leaving', 'main', BEFORE_START);
    fake.add('c-stranger', 'stranger', 'main', BEFORE_START);
    store.add(pod('p'));
    fake.add('c-exited', 'p', 'main', BEFORE_START, runtime.ContainerState.CONTAINER_EXITED);
    await reconciler.reconcile();
    expect(fake.updates).toEqual([]);
  });

  it('gathers requests made in a burst into one pass', async () => {
    let calls = 0;
    const { reconciler } = setup([provider('cpu-manager', () => (calls++, { allocations: [], shared: null }))]);
    reconciler.requestSoon();
    reconciler.requestSoon();
    reconciler.requestSoon();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
  });
});
