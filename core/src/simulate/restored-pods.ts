import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CPUSet, type Pod } from '@kernelet/sdk/common';

/** The entries of the upstream state files, as far as admission needs them. */
type CPUEntries = Record<string, Record<string, string>>;
type MemoryEntries = Record<string, Record<string, { type?: unknown; size?: unknown }[] | null>>;

export class RestoredStateError extends Error {
  override readonly name = 'RestoredStateError';
}

/**
 * The pods a node's state files say are running, for the admission checks that count
 * what the node already runs (OutOfcpu, OutOfmemory, ...): one Guaranteed pod per pod
 * UID in the entries of cpu_manager_state and memory_manager_state, each container
 * requesting (and limited to) what it holds there, its exclusive CPUs and its memory
 * per type. That is all the files tell of those pods: their shared-pool requests are
 * unknown, so they count at least what they hold.
 *
 * The plugins have validated the files by the time this runs; a file they read but
 * this cannot is reported with its name.
 */
export async function restoredPods(stateDir: string): Promise<Pod[]> {
  const cpu = await readEntries<CPUEntries>(join(stateDir, 'cpu_manager_state'));
  const memory = await readEntries<MemoryEntries>(join(stateDir, 'memory_manager_state'));
  const requests = new Map<string, Map<string, Map<string, bigint>>>();
  const add = (podUID: string, container: string, resource: string, amount: bigint): void => {
    if (amount <= 0n) return;
    const pod = requests.get(podUID) ?? new Map<string, Map<string, bigint>>();
    requests.set(podUID, pod);
    const held = pod.get(container) ?? new Map<string, bigint>();
    pod.set(container, held);
    held.set(resource, (held.get(resource) ?? 0n) + amount);
  };
  for (const [podUID, containers] of Object.entries(cpu ?? {})) {
    for (const [name, cpus] of Object.entries(containers ?? {})) add(podUID, name, 'cpu', BigInt(CPUSet.parse(String(cpus)).size));
  }
  for (const [podUID, containers] of Object.entries(memory ?? {})) {
    for (const [name, blocks] of Object.entries(containers ?? {})) {
      for (const block of blocks ?? []) {
        if (typeof block.type === 'string' && typeof block.size === 'number') add(podUID, name, block.type, BigInt(block.size));
      }
    }
  }
  return [...requests].map(([uid, containers]) => ({
    metadata: { name: `restored-${uid}`, namespace: 'kernelet-simulate', uid },
    spec: {
      containers: [...containers].map(([name, held]) => {
        const amounts = Object.fromEntries([...held].map(([resource, amount]) => [resource, amount.toString()]));
        return { name, image: 'restored', resources: { requests: amounts, limits: amounts } };
      }),
    },
  }));
}

async function readEntries<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RestoredStateError(`${file}: cannot read: ${(error as Error).message}`);
  }
  try {
    const entries = (JSON.parse(text) as { entries?: T }).entries;
    return entries ?? undefined;
  } catch (error) {
    throw new RestoredStateError(`${file}: entries: cannot read the running pods: ${(error as Error).message}`);
  }
}
