/**
 * 32-bit FNV-1a over the UTF-8 bytes of text: the hash the kubelet's checkpoint manager
 * stores as `checksum` in its state files (over go-spew's rendering of the checkpoint).
 */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Keys in Go's string order (bytewise), as go-spew prints sorted maps. */
export function goSortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
