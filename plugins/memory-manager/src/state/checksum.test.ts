import { describe, expect, it } from 'vitest';

import { readFixture } from '../fixtures.test-support.js';
import { fnv32a } from '@kernelet/sdk/common';
import { checkpointChecksum, renderCheckpoint } from './checksum.js';

const upstream = JSON.parse(readFixture<{ upstreamCheckpoint: string }>('bad-state-files.json').upstreamCheckpoint) as Record<string, unknown>;

describe('checkpointChecksum', () => {
  it('matches the checksum upstream computed for its test checkpoint', () => {
    expect(renderCheckpoint(upstream)).toBe(
      '(*state.MemoryManagerCheckpoint){PolicyName:(string)static MachineState:(state.NUMANodeMap)map[0:<*>{NumberOfAssignments:(int)0 ' +
        'MemoryMap:(map[v1.ResourceName]*state.MemoryTable)map[memory:<*>{TotalMemSize:(uint64)2048 SystemReserved:(uint64)512 ' +
        'Allocatable:(uint64)1536 Reserved:(uint64)512 Free:(uint64)1024}] Cells:([]int)[]}] Entries:(state.ContainerMemoryAssignments)' +
        'map[pod:map[container1:[{NUMAAffinity:([]int)[0] Type:(v1.ResourceName)memory Size:(uint64)512}]]] Checksum:(checksum.Checksum)0}',
    );
    expect(checkpointChecksum(upstream)).toBe(4215593881);
  });

  it.each([
    ['the stored checksum is left out of the sum', { ...upstream, checksum: 1 }, 4215593881],
    ['a missing entries key is the empty map the kubelet pre-allocates', { policyName: 'Static', machineState: {} }, undefined],
  ])('%s', (_name, doc, expected) => {
    const sum = checkpointChecksum(doc);
    if (expected !== undefined) expect(sum).toBe(expected);
    else expect(sum).toBe(checkpointChecksum({ ...doc, entries: {} }));
  });

  it.each([
    ['null cells print as a nil slice', { cells: null }, 'Cells:([]int)<nil>'],
    ['missing cells are a nil slice too', {}, 'Cells:([]int)<nil>'],
    ['empty cells are an empty slice', { cells: [] }, 'Cells:([]int)[]'],
    ['a null memory map is a nil map', { memoryMap: null }, 'MemoryMap:(map[v1.ResourceName]*state.MemoryTable)<nil>'],
  ])('%s', (_name, node, fragment) => {
    expect(renderCheckpoint({ policyName: 'Static', machineState: { '0': node } })).toContain(fragment);
  });

  it('sorts NUMA node keys as numbers and memory types bytewise, as go-spew does', () => {
    const node = { numberOfAssignments: 0, memoryMap: { memory: {}, 'hugepages-2Mi': {}, 'hugepages-1Gi': {} }, cells: [] };
    const text = renderCheckpoint({ policyName: 'Static', machineState: { '10': node, '2': node } });
    expect(text.indexOf('map[2:')).toBeLessThan(text.indexOf(' 10:'));
    expect(text.indexOf('hugepages-1Gi:')).toBeLessThan(text.indexOf('hugepages-2Mi:'));
    expect(text.indexOf('hugepages-2Mi:')).toBeLessThan(text.indexOf('memory:'));
  });

  it('is 32-bit FNV-1a', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
  });
});
