import { describe, expect, it } from 'vitest';
import { expand } from './expansion.js';

const vars: Record<string, string> = { A: 'alpha', B: 'beta', EMPTY: '' };

describe('expand', () => {
  it.each([
    ['plain', 'plain'],
    ['$(A)', 'alpha'],
    ['x-$(A)-$(B)', 'x-alpha-beta'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['cost $5', 'cost $5'],
    ['$(A', '$(A'],
    ['$(EMPTY)x', 'x'],
    ['$', '$'],
    ['$()', '$()'],
  ])('%j -> %j', (input, output) => expect(expand(input, (n) => vars[n])).toBe(output));
});
