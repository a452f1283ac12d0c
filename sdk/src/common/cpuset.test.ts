import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
import { CPUSet } from './cpuset.js';

describe('CPUSet', () => {
  it.each([
    ['', [], ''],
    ['0', [0], '0'],
    ['0-3,8,10-11', [0, 1, 2, 3, 8, 10, 11], '0-3,8,10-11'],
    ['3,1,2,2', [1, 2, 3], '1-3'],
    ['0-1,1-2', [0, 1, 2], '0-2'],
    ['5-5', [5], '5'],
  ])('parses %j', (text, ids, canonical) => {
    const set = CPUSet.parse(text);
    expect(set.toArray()).toEqual(ids);
    expect(set.toString()).toBe(canonical);
  });

  it.each(['3-1', 'a', '1,,2', '1-2-3', '-1', ' 1', '1-', '99999999'])('rejects %j', (text) => {
    expect(() => CPUSet.parse(text)).toThrow(/invalid cpuset/);
  });

  it('does set algebra', () => {
    const a = CPUSet.parse('0-7');
    const b = CPUSet.parse('4-11');
    expect(a.union(b).toString()).toBe('0-11');
    expect(a.intersection(b).toString()).toBe('4-7');
    expect(a.difference(b).toString()).toBe('0-3');
    expect(CPUSet.parse('5-6').isSubsetOf(a)).toBe(true);
    expect(b.isSubsetOf(a)).toBe(false);
    expect(a.has(7)).toBe(true);
    expect(a.has(8)).toBe(false);
    expect(a.take(3).toString()).toBe('0-2');
    expect(CPUSet.of(3, 1).equals(CPUSet.parse('1,3'))).toBe(true);
  });
});

describe('CPUSet.difference', () => {
  it('keeps exactly the ids the other set lacks, on random sets', () => {
    const next = seededRandom(84);
    for (let round = 0; round < 200; round++) {
      const pick = (density: number) => CPUSet.from(Array.from({ length: 96 }, (_, id) => id).filter(() => next() < density));
      const [a, b] = [pick(next()), pick(next())];
      expect(a.difference(b).toArray(), `round ${round}`).toEqual(a.toArray().filter((id) => !b.has(id)));
    }
  });
});
