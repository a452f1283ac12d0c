import { maskOf } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import { mergeHints } from './merge-hints.js';
import { NUMAInfo } from './numa-info.js';

describe('none policy', () => {
  it.each([
    ['no providers', []],
    ['a provider that cannot place its resource', [new Map([['cpu', []]])]],
    ['preferred hints it does not look at', [new Map([['cpu', [{ numaAffinity: maskOf([1]), preferred: true }]]])]],
  ])('admits with an any-node, non-preferred hint: %s', (_name, hints) => {
    expect(mergeHints(hints, { policy: 'none', numa: new NUMAInfo([0, 1]) })).toEqual({
      bestHint: { numaAffinity: null, preferred: false },
      admit: true,
    });
  });
});
