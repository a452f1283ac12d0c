import { describe, expect, it } from 'vitest';
import { canonicalDuration, formatDuration, formatDurationNanos, parseDuration, parseDurationNanos } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['-0', 0],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['100ms', 100],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['2h45m', 9_900_000],
    ['+5s', 5000],
    ['-1m', -60_000],
    ['300us', 0.3],
    ['300µs', 0.3],
    ['1ns', 0.000001],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    ['', /invalid duration ""/],
    ['5minutes', /unknown unit "minutes"/],
    ['5', /missing unit/],
    ['1d', /unknown unit "d"/],
    ['.s', /invalid duration/],
    ['5 m', /unknown unit " m"/],
    ['m', /invalid duration/],
    ['9999999999999h', /out of range/],
  ])('rejects %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });
});

describe('formatDuration prints as Go does', () => {
  it.each([
    [0, '0s'],
    [90_000, '1m30s'],
    [60_000, '1m0s'],
    [3_600_000, '1h0m0s'],
    [14_400_000, '4h0m0s'],
    [20_000, '20s'],
    [100, '100ms'],
    [1500, '1.5s'],
    [2000, '2s'],
    [0.3, '300µs'],
    [-60_000, '-1m0s'],
    [5_400_500, '1h30m0.5s'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('prints nanoseconds and round-trips', () => {
    expect(formatDurationNanos(1n)).toBe('1ns');
    expect(formatDurationNanos(1_500n)).toBe('1.5µs');
    expect(formatDurationNanos(parseDurationNanos('2h45m30.25s'))).toBe('2h45m30.25s');
  });

  it.each([
    ['5m', '5m0s'],
    ['1h', '1h0m0s'],
    ['60s', '1m0s'],
    ['1000ms', '1s'],
    ['100ms', '100ms'],
  ])('canonicalDuration(%s) = %s', (text, canonical) => {
    expect(canonicalDuration(text)).toBe(canonical);
  });
});
