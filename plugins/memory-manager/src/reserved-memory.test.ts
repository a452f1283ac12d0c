import { describe, expect, it } from 'vitest';

import { loadMachine, readFixture } from './fixtures.test-support.js';
import { validateReservedMemory, validateReservedMemoryNUMANodes } from './reserved-memory.js';

interface Case {
  name: string;
  machine?: string;
  config: Record<string, unknown>;
  problems: string[];
  numaProblems?: string[];
}

const cases = readFixture<{ cases: Case[] }>('reserved-memory.json').cases;

describe('validateReservedMemory', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const machine = c.machine ? loadMachine(c.machine) : undefined;
    const problems = validateReservedMemory(c.config, machine);
    expect(problems.map(String)).toEqual(c.problems);
    if (c.numaProblems && machine) expect(validateReservedMemoryNUMANodes(c.config, machine).map(String)).toEqual(c.numaProblems);
  });

  it('gives each problem its field and offending value', () => {
    const [problem] = validateReservedMemory({ memoryManagerPolicy: 'Static', reservedMemory: [{ numaNode: 0, limits: { memory: '0' } }] });
    expect(problem).toMatchObject({ field: 'reservedMemory[0].limits.memory', value: '0' });
  });
});
