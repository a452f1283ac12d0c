import type { Container } from '@kernelet/sdk/common';

/**
 * A stable hash of a container's spec (fnv-1a 32 over canonical JSON, keys sorted), recorded
 * on the container; a running container whose spec hash differs is restarted. Stable across
 * agent restarts, so adopted containers keep running.
 */
export function hashContainer(container: Container): string {
  const text = canonicalJson(container);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
