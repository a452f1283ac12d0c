import { afterEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
import { compareGoStrings, fnv32a, goSortedKeys } from './fnv.js';

/** FNV-1a as the definition states it, over Node's UTF-8 encoding of the text. */
function referenceFnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash >>> 0;
}

/** Text mixing ASCII, 2- and 3-byte characters, surrogate pairs and lone surrogates. */
function randomText(random: () => number, length: number): string {
  const alphabet = ['a', 'Z', '0', ' ', '{', '"', 'é', 'ß', '€', '\uffff', '\u{1f600}', '\ud800', '\udfff', '\u2028'];
  let text = '';
  while (text.length < length) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

describe('fnv32a', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('is 32-bit FNV-1a over UTF-8 bytes', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it.each([1, 2, 3])('hashes the UTF-8 bytes Node encodes, lone surrogates included (seed %i)', (seed) => {
    const random = seededRandom(seed);
    for (const length of [1, 7, 100, 5000, 30_000, 70_000]) {
      const text = randomText(random, length);
      expect(fnv32a(text)).toBe(referenceFnv32a(text));
    }
    // after the memory grew for the long texts, short ones still hash only their own bytes
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('gives the same hashes without WebAssembly', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const { fnv32a: withoutWasm } = await import('./fnv.js');
    const text = randomText(seededRandom(4), 3000);
    expect(withoutWasm(text)).toBe(referenceFnv32a(text));
    expect(withoutWasm('a')).toBe(0xe40c292c);
  });
});

describe('goSortedKeys', () => {
  it('sorts bytewise as Go compares strings', () => {
    expect(goSortedKeys(['b', 'B', '10', '2', 'é', 'z'])).toEqual(['10', '2', 'B', 'b', 'z', 'é']);
  });

  it('orders characters past U+FFFF after those below it, as UTF-8 does', () => {
    expect(goSortedKeys(['\u{1f600}', '\uffff', 'a'])).toEqual(['a', '\uffff', '\u{1f600}']);
  });

  it('compares as Buffer.compare does on UTF-8 bytes', () => {
    const random = seededRandom(5);
    for (let i = 0; i < 2000; i++) {
      const a = randomText(random, 1 + Math.floor(random() * 4));
      const b = random() < 0.2 ? a : randomText(random, 1 + Math.floor(random() * 4));
      expect(Math.sign(compareGoStrings(a, b))).toBe(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    }
  });
});
