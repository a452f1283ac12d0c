import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RestoredStateError, restoredPods } from './restored-pods.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kernelet-restored-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('restoredPods', () => {
  it('makes one Guaranteed pod per pod of the state files, each container asking what it holds', async () => {
    await writeFile(join(dir, 'cpu_manager_state'), JSON.stringify({ policyName: 'static', defaultCpuSet: '0-1,6-11', entries: { a: { app: '2-3', init: '4-5' } }, checksum: 0 }));
    await writeFile(
      join(dir, 'memory_manager_state'),
      JSON.stringify({
        policyName: 'Static',
        machineState: {},
        entries: {
          a: { app: [{ numaAffinity: [0], type: 'memory', size: 1073741824 }, { numaAffinity: [0], type: 'hugepages-1Gi', size: 2147483648 }] },
          b: { db: [{ numaAffinity: [0, 1], type: 'memory', size: 4294967296 }] },
        },
      }),
    );
    const pods = await restoredPods(dir);
    const asked = pods.map((p) => [p.metadata?.uid, p.spec?.containers.map((c) => [c.name, c.resources?.requests, c.resources?.limits])]);
    expect(asked).toEqual([
      [
        'a',
        [
          ['app', { cpu: '2', memory: '1073741824', 'hugepages-1Gi': '2147483648' }, { cpu: '2', memory: '1073741824', 'hugepages-1Gi': '2147483648' }],
          ['init', { cpu: '2' }, { cpu: '2' }],
        ],
      ],
      ['b', [['db', { memory: '4294967296' }, { memory: '4294967296' }]]],
    ]);
  });

  it('finds no pod without state files or entries', async () => {
    expect(await restoredPods(dir)).toEqual([]);
    await writeFile(join(dir, 'cpu_manager_state'), JSON.stringify({ policyName: 'none', defaultCpuSet: '', checksum: 0 }));
    expect(await restoredPods(dir)).toEqual([]);
  });

  it('names a file it cannot read', async () => {
    await writeFile(join(dir, 'memory_manager_state'), '{"entries":');
    await expect(restoredPods(dir)).rejects.toThrow(RestoredStateError);
    await expect(restoredPods(dir)).rejects.toThrow(`${join(dir, 'memory_manager_state')}: entries:`);
  });
});
