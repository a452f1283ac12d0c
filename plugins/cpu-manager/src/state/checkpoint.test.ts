import { describe, expect, it } from 'vitest';
import { loadCases } from '../fixtures.test-helper.js';
import { fnv32a } from '@kernelet/sdk/common';
import { CheckpointFormatError, checksumV1, checksumV2, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';

type Entries = Record<string, Record<string, string>>;

interface RestoreCase {
  name: string;
  content: string;
  policyName?: string;
  defaultCpuSet?: string;
  entries?: Entries;
  version?: 1 | 2;
  error?: { field: string; problem: string };
}

interface EncodeCase {
  name: string;
  policyName: string;
  defaultCpuSet: string;
  entries: Entries;
  content?: string;
  roundTrip?: boolean;
}

const cases = loadCases<{ restore: RestoreCase[]; encode: EncodeCase[] }>('checkpoint');

const toMap = (entries: Entries): Map<string, Map<string, string>> =>
  new Map(Object.entries(entries).map(([pod, containers]) => [pod, new Map(Object.entries(containers))]));

describe('decodeCheckpoint', () => {
  it.each(cases.restore)('$name', (c) => {
    if (c.error) {
      const err = (() => {
        try {
          decodeCheckpoint(c.content);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(CheckpointFormatError);
      expect((err as CheckpointFormatError).field).toBe(c.error.field);
      expect((err as CheckpointFormatError).problem).toContain(c.error.problem);
      return;
    }
    const got = decodeCheckpoint(c.content);
    expect(got.policyName).toBe(c.policyName);
    expect(got.defaultCPUSet.toString()).toBe(c.defaultCpuSet);
    const entries = Object.fromEntries(
      [...got.assignments].map(([pod, containers]) => [pod, Object.fromEntries([...containers].map(([n, cpus]) => [n, cpus.toString()]))]),
    );
    expect(entries).toEqual(c.entries);
    expect(got.version).toBe(c.version ?? 2);
  });
});

describe('encodeCheckpoint', () => {
  it.each(cases.encode)('$name', (c) => {
    const content = encodeCheckpoint({ policyName: c.policyName, defaultCpuSet: c.defaultCpuSet, entries: toMap(c.entries) });
    if (c.content !== undefined) expect(content).toBe(c.content);
    const back = decodeCheckpoint(content);
    expect(back.policyName).toBe(c.policyName);
    expect(back.defaultCPUSet.toString()).toBe(c.defaultCpuSet);
    expect([...back.assignments.keys()].sort()).toEqual(Object.keys(c.entries).sort());
  });
});

describe('the kubelet checksum', () => {
  it('is FNV-1a over the go-spew rendering', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(checksumV2('none', '4-6', new Map())).toBe(354655845);
    expect(checksumV2('other', '1-3', new Map())).toBe(1394507217);
    expect(checksumV1('none', '1-3', new Map())).toBe(1694838852);
    expect(checksumV1('none', '1-3', new Map([['containerID1', '4-6'], ['containerID2', '1-3']]))).toBe(3680390589);
  });

  it('renders absent entries as a nil map, unlike empty ones', () => {
    expect(checksumV2('none', '', null)).not.toBe(checksumV2('none', '', new Map()));
    const withNull = decodeCheckpoint(`{"policyName":"none","defaultCpuSet":"","entries":null,"checksum":${checksumV2('none', '', null)}}`);
    expect(withNull.assignments.size).toBe(0);
  });

  it('sorts map keys byte-wise as Go does', () => {
    const a = checksumV2('static', '0', new Map([['b', new Map([['y', '1'], ['x', '2']])], ['a', new Map()]]));
    const b = checksumV2('static', '0', new Map([['a', new Map()], ['b', new Map([['x', '2'], ['y', '1']])]]));
    expect(a).toBe(b);
  });

  it('changes with any field', () => {
    const base = checksumV2('static', '0-3', toMap({ p: { c: '4-5' } }));
    expect(checksumV2('none', '0-3', toMap({ p: { c: '4-5' } }))).not.toBe(base);
    expect(checksumV2('static', '0-2', toMap({ p: { c: '4-5' } }))).not.toBe(base);
    expect(checksumV2('static', '0-3', toMap({ p: { c: '4-6' } }))).not.toBe(base);
    expect(checksumV2('static', '0-3', toMap({ q: { c: '4-5' } }))).not.toBe(base);
  });
});
