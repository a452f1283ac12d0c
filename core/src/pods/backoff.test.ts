import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('Backoff (crash-loop semantics)', () => {
  it('starts at the initial delay and doubles up to the maximum', () => {
    const clock = fakeClock();
    const b = new Backoff(10_000, 300_000, clock.now);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.next('c', clock.now());
      delays.push(b.get('c'));
      clock.advance(b.get('c'));
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('is in backoff until the delay has passed since the last exit', () => {
    const clock = fakeClock();
    const b = new Backoff(10_000, 300_000, clock.now);
    const exitedAt = clock.now();
    expect(b.isInBackOffSince('c', exitedAt)).toBe(false);
    b.next('c', exitedAt);
    clock.advance(9_999);
    expect(b.isInBackOffSince('c', exitedAt)).toBe(true);
    expect(b.remainingSince('c', exitedAt)).toBe(1);
    clock.advance(1);
    expect(b.isInBackOffSince('c', exitedAt)).toBe(false);
  });

  it('starts over after twice the maximum without a failure (10 minutes at the kubelet defaults)', () => {
    const clock = fakeClock();
    const b = new Backoff(10_000, 300_000, clock.now);
    for (let i = 0; i < 6; i++) b.next('c', clock.now());
    expect(b.get('c')).toBe(300_000);
    clock.advance(600_000);
    b.next('c', clock.now());
    expect(b.get('c')).toBe(300_000); // exactly twice the maximum is not yet stale
    clock.advance(600_001);
    b.next('c', clock.now());
    expect(b.get('c')).toBe(10_000);
  });

  it('measures image pull backoff from the last failure', () => {
    const clock = fakeClock();
    const b = new Backoff(10_000, 300_000, clock.now);
    b.next('img', clock.now());
    clock.advance(5_000);
    expect(b.isInBackOffSinceUpdate('img', clock.now())).toBe(true);
    expect(b.remainingSinceUpdate('img')).toBe(5_000);
    clock.advance(5_000);
    expect(b.isInBackOffSinceUpdate('img', clock.now())).toBe(false);
  });

  it('forgets stale entries and a gone pod', () => {
    const clock = fakeClock();
    const b = new Backoff(1_000, 2_000, clock.now);
    b.next('uid1_a', clock.now());
    b.next('uid2_a', clock.now());
    b.deletePrefix('uid1_');
    expect(b.get('uid1_a')).toBe(0);
    clock.advance(4_001);
    b.gc();
    expect(b.get('uid2_a')).toBe(0);
  });
});
