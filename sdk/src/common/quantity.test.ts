import { describe, expect, it } from 'vitest';
import { Quantity } from './quantity.js';

describe('Quantity.parse canonical form', () => {
  it.each([
    ['0', '0'],
    ['100m', '100m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.1', '100m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1.5k', '1500'],
    ['2000', '2k'],
    ['1Ki', '1Ki'],
    ['1024', '1024'],
    ['0.5Ki', '512'],
    ['1.5Ki', '1536'],
    ['1.5Gi', '1536Mi'],
    ['28.5Gi', '29184Mi'],
    ['2048Ki', '2Mi'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1.5e3', '1500'],
    ['1e-3', '1e-3'],
    ['12e6', '12e6'],
    ['-1', '-1'],
    ['-1.5Gi', '-1536Mi'],
    ['+5', '5'],
    ['1.', '1'],
    ['.5', '500m'],
    ['1n', '1n'],
    ['0.1n', '1n'],
    ['1.0000000001', '1000000001n'],
    ['1E', '1E'],
    ['1000E', '1000E'],
    ['5Mi', '5Mi'],
    ['100Mi', '100Mi'],
  ])('%s -> %s', (input, canonical) => {
    expect(Quantity.parse(input).toString()).toBe(canonical);
  });

  it.each(['', '.', '1.2.3', '10Q', '5 ', ' 5', '1e', 'Mi', '1ki', '1e1000', '--1', '1-'])('rejects %j', (input) => {
    expect(() => Quantity.parse(input)).toThrow(`invalid quantity "${input}"`);
  });
});

describe('Quantity values', () => {
  it('rounds value() and milliValue() up, away from zero', () => {
    expect(Quantity.parse('1500m').value()).toBe(2n);
    expect(Quantity.parse('-1500m').value()).toBe(-2n);
    expect(Quantity.parse('1.0001m').milliValue()).toBe(2n);
    expect(Quantity.parse('14.5').milliValue()).toBe(14500n);
    expect(Quantity.parse('1Gi').value()).toBe(1073741824n);
  });

  it('adds and subtracts exactly, keeping the first format', () => {
    const allocatable = Quantity.parse('32Gi').sub(Quantity.parse('2Gi')).sub(Quantity.parse('1Gi')).sub(Quantity.parse('500Mi'));
    // 32Gi - 3Gi - 500Mi; upstream's worked example rounds this to "28.5Gi".
    expect(allocatable.toString()).toBe('29196Mi');
    expect(Quantity.parse('16').sub(Quantity.parse('1')).sub(Quantity.parse('500m')).toString()).toBe('14500m');
  });

  it('compares across formats', () => {
    expect(Quantity.parse('1Ki').cmp(Quantity.parse('1024'))).toBe(0);
    expect(Quantity.parse('1k').cmp(Quantity.parse('1Ki'))).toBe(-1);
    expect(Quantity.parse('2').cmp(Quantity.parse('1999m'))).toBe(1);
  });

  it('caps binary quantities at the largest int64', () => {
    expect(Quantity.parse('16Ei').value()).toBe((1n << 63n) - 1n);
  });
});
