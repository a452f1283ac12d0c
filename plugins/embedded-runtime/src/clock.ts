// Wall-clock time in nanoseconds, as CRI wants it (created_at, log timestamps).
// Date.now() has millisecond resolution; the monotonic clock supplies the rest and is
// re-anchored to the wall clock every few seconds so NTP steps are followed.

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const REANCHOR_NS = 5n * NS_PER_S;

let anchorWall = BigInt(Date.now()) * NS_PER_MS;
let anchorMono = process.hrtime.bigint();
let last = 0n;

/** Nanoseconds since the epoch; never goes backwards within this process. */
export function nowNs(): bigint {
  const mono = process.hrtime.bigint();
  if (mono - anchorMono > REANCHOR_NS) {
    anchorWall = BigInt(Date.now()) * NS_PER_MS;
    anchorMono = mono;
  }
  let now = anchorWall + (mono - anchorMono);
  if (now < last) now = last;
  last = now;
  return now;
}

let cachedSecond = -1n;
let cachedPrefix = '';

/** RFC 3339 with nine fractional digits, UTC: 2026-11-22T07:37:38.547753251Z (Go's RFC3339Nano, zero-padded). */
export function formatRfc3339Nano(ns: bigint): string {
  const second = ns / NS_PER_S;
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(Number(second) * 1000).toISOString().slice(0, 19);
  }
  return `${cachedPrefix}.${(ns % NS_PER_S).toString().padStart(9, '0')}Z`;
}
