import { describe, expect, it } from 'vitest';
import { fnv32a, goSortedKeys } from './fnv.js';

describe('fnv32a', () => {
  it('is 32-bit FNV-1a over UTF-8 bytes', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });
});

describe('goSortedKeys', () => {
  it('sorts bytewise as Go compares strings', () => {
    expect(goSortedKeys(['b', 'B', '10', '2', 'é', 'z'])).toEqual(['10', '2', 'B', 'b', 'z', 'é']);
  });
});
