/**
 * Kubernetes resource quantities (`resource.Quantity`): "100m", "1.5Gi", "2e3".
 *
 * A quantity is held exactly, as a whole number of nano-units in a bigint, with the
 * suffix family it was written in. Parsing rounds away from zero to the nearest nano,
 * as upstream does, so a tiny non-zero request never becomes zero.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
/** Beyond this many decimal digits a quantity is refused rather than computed. */
const MAX_EXPONENT = 100;

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

const QUANTITY_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT_SUFFIX = /^[eE]([+-]?\d+)$/;

export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

export class Quantity {
  private constructor(
    /** The value in units of 10^-9. */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  static parse(text: string): Quantity {
    const q = Quantity.tryParse(text);
    if (q === undefined) throw new QuantityError(`invalid quantity "${text}"`);
    return q;
  }

  /** Like parse, but answers undefined for text that is not a quantity. */
  static tryParse(text: string): Quantity | undefined {
    if (text.length === 0 || text.length > 256) return undefined;
    const m = QUANTITY_PATTERN.exec(text);
    if (!m) return undefined;
    const [, sign = '', whole = '', fraction = '', suffix = ''] = m;
    if (whole === '' && fraction === '') return undefined;
    // "1." is accepted upstream; ".5" too. A lone "." is not.
    const parsedSuffix = parseSuffix(suffix);
    if (parsedSuffix === undefined) return undefined;

    const digits = BigInt((whole || '0') + fraction);
    // value = digits * 10^-fraction.length * base^exponent, computed in nanos.
    let nanos: bigint;
    let format = parsedSuffix.format;
    if (parsedSuffix.base === 10) {
      nanos = scaleDecimal(digits, parsedSuffix.exponent - fraction.length + 9);
    } else {
      nanos = scaleDecimal(digits << BigInt(parsedSuffix.exponent), 9 - fraction.length);
    }
    if (sign === '-') nanos = -nanos;
    if (format === 'BinarySI') {
      if (nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
      if (abs(nanos) < 1024n * NANO) format = 'DecimalSI';
    }
    return new Quantity(nanos, format);
  }

  static fromNumber(value: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (!Number.isFinite(value)) throw new QuantityError(`invalid quantity ${value}`);
    return Quantity.parse(value.toFixed(9).replace(/\.?0+$/, '') || '0').withFormat(format);
  }

  static fromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  static fromValue(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, format);
  }

  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.nanos, format);
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos === 0n ? 0 : this.nanos < 0n ? -1 : 1;
  }

  /** The value as a whole number, rounded away from zero (upstream `Value()`). */
  value(): bigint {
    return divideAwayFromZero(this.nanos, NANO);
  }

  /** The value in thousandths, rounded away from zero (upstream `MilliValue()`). */
  milliValue(): bigint {
    return divideAwayFromZero(this.nanos, 1_000_000n);
  }

  /** value() as a JS number; exact up to 2^53. */
  toNumber(): number {
    return Number(this.nanos) / 1e9;
  }

  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos === other.nanos ? 0 : this.nanos < other.nanos ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** The canonical text, as upstream's `String()`: "1500m", "1536Mi", "2Ki", "1e3". */
  toString(): string {
    if (this.nanos === 0n) return '0';
    const negative = this.nanos < 0n;
    const magnitude = abs(this.nanos);
    let format = this.format;
    if (format === 'BinarySI') {
      if (magnitude < 1024n * NANO || magnitude % NANO !== 0n) format = 'DecimalSI';
    }
    const text =
      format === 'BinarySI' ? canonicalBinary(magnitude / NANO) : canonicalDecimal(magnitude, format);
    return negative ? `-${text}` : text;
  }

  toJSON(): string {
    return this.toString();
  }
}

function parseSuffix(
  suffix: string,
): { base: 10 | 2; exponent: number; format: QuantityFormat } | undefined {
  const decimal = DECIMAL_SUFFIXES[suffix];
  if (decimal !== undefined) return { base: 10, exponent: decimal, format: 'DecimalSI' };
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return { base: 2, exponent: binary, format: 'BinarySI' };
  const e = EXPONENT_SUFFIX.exec(suffix);
  if (e?.[1] !== undefined) {
    const exponent = Number(e[1]);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_EXPONENT) return undefined;
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

/** digits * 10^shift, rounding a fractional result away from zero. */
function scaleDecimal(digits: bigint, shift: number): bigint {
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  return divideAwayFromZero(digits, 10n ** BigInt(-shift));
}

function divideAwayFromZero(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (n % d === 0n) return q;
  return n < 0n ? q - 1n : q + 1n;
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** Mantissa times 10^exponent, exponent a multiple of 3, mantissa whole, suffix for the format. */
function canonicalDecimal(nanos: bigint, format: QuantityFormat): string {
  let mantissa = nanos;
  let exponent = -9;
  while (mantissa % 1000n === 0n && (format !== 'DecimalSI' || exponent < 18)) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (exponent === 0) return mantissa.toString();
  if (format === 'DecimalSI') return `${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ''}`;
  return `${mantissa}e${exponent}`;
}

function canonicalBinary(value: bigint): string {
  let mantissa = value;
  let exponent = 0;
  while (mantissa % 1024n === 0n && exponent < 60) {
    mantissa /= 1024n;
    exponent += 10;
  }
  return `${mantissa}${BINARY_SUFFIX_BY_EXPONENT.get(exponent) ?? ''}`;
}

/** Sum of quantities, in the format of the first (DecimalSI when empty). */
export function sumQuantities(quantities: Iterable<Quantity>): Quantity {
  let total: Quantity | undefined;
  for (const q of quantities) total = total ? total.add(q) : q;
  return total ?? Quantity.zero();
}

export function maxQuantity(a: Quantity, b: Quantity): Quantity {
  return a.cmp(b) >= 0 ? a : b;
}
