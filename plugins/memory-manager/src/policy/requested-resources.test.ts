import { describe, expect, it } from 'vitest';

import { bytes, readFixture, toPod, type CompactPod } from '../fixtures.test-support.js';
import { podMemoryRequests } from './requested-resources.js';

interface Case {
  name: string;
  pod: CompactPod;
  overhead?: Record<string, string>;
  expect: Record<string, string>;
}

describe('podMemoryRequests', () => {
  const cases = readFixture<{ cases: Case[] }>('pod-requested-resources.json').cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const pod = toPod(c.pod);
    if (c.overhead && pod.spec) pod.spec.overhead = c.overhead;
    const expected = new Map(Object.entries(c.expect).map(([type, q]) => [type, bytes(q)]));
    expect(podMemoryRequests(pod, {})).toEqual(expected);
  });
});
