/**
 * Go `time.Duration` text, as the kubelet reads and prints it: "1m30s", "100ms", "1.5h".
 *
 * Durations are held exactly as whole nanoseconds (bigint). `parseDuration` and
 * `formatDuration` speak milliseconds for callers that want plain numbers.
 */

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

const NANOS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const MAX_NANOS = (1n << 63n) - 1n;
const MIN_NANOS = -(1n << 63n);
const NANOS_PER_MS = 1_000_000n;

/** Parses Go duration text into nanoseconds. Throws DurationError naming the text and the reason. */
export function parseDurationNanos(text: string): bigint {
  const invalid = (reason?: string): DurationError =>
    new DurationError(reason ? `invalid duration "${text}": ${reason}` : `invalid duration "${text}"`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();

  let total = 0n;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2];
    if (whole === '' && (fraction === undefined || fraction === '')) throw invalid();
    rest = rest.slice(number?.[0].length ?? 0);

    const unitMatch = /^[^\d.]+/.exec(rest);
    if (!unitMatch) throw invalid('missing unit');
    const unitText = unitMatch[0];
    rest = rest.slice(unitText.length);
    const unit = NANOS_PER_UNIT.get(unitText);
    if (unit === undefined) throw invalid(`unknown unit "${unitText}" (valid: ns, us, µs, ms, s, m, h)`);

    let value = BigInt(whole === '' ? '0' : whole) * unit;
    if (fraction !== undefined && fraction !== '') {
      value += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    }
    total += value;
    if (total > MAX_NANOS + 1n) throw invalid('out of range');
  }
  if (negative) total = -total;
  if (total > MAX_NANOS || total < MIN_NANOS) throw invalid('out of range');
  return total;
}

/** Formats nanoseconds the way Go's `Duration.String()` does: "1m0s", "1.5s", "100ms", "0s". */
export function formatDurationNanos(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const negative = nanos < 0n;
  let magnitude = negative ? -nanos : nanos;
  let text: string;
  if (magnitude < 1_000_000_000n) {
    let unit: string;
    let precision: number;
    if (magnitude < 1_000n) {
      unit = 'ns';
      precision = 0;
    } else if (magnitude < 1_000_000n) {
      unit = 'µs';
      precision = 3;
    } else {
      unit = 'ms';
      precision = 6;
    }
    text = withFraction(magnitude, precision) + unit;
  } else {
    const seconds = withFraction(magnitude, 9);
    magnitude /= 1_000_000_000n;
    text = `${trimmedSeconds(seconds, magnitude)}s`;
    const minutes = magnitude / 60n;
    if (minutes > 0n) {
      const hours = minutes / 60n;
      text = `${minutes % 60n}m${text}`;
      if (hours > 0n) text = `${hours}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}

/** Parses Go duration text into milliseconds (fractional below 1ms). */
export function parseDuration(text: string): number {
  return nanosToMs(parseDurationNanos(text));
}

/** Formats milliseconds as Go prints a duration: 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new DurationError(`invalid duration ${ms}`);
  return formatDurationNanos(msToNanos(ms));
}

/** Rewrites duration text into Go's canonical form ("5m" -> "5m0s"). */
export function canonicalDuration(text: string): string {
  return formatDurationNanos(parseDurationNanos(text));
}

export function msToNanos(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

export function nanosToMs(nanos: bigint): number {
  const whole = nanos / NANOS_PER_MS;
  const rest = nanos % NANOS_PER_MS;
  return Number(whole) + Number(rest) / 1e6;
}

/** value / 10^precision with the fraction's trailing zeros dropped: (1500, 3) -> "1.5". */
function withFraction(value: bigint, precision: number): string {
  if (precision === 0) return value.toString();
  const scale = 10n ** BigInt(precision);
  const fraction = (value % scale).toString().padStart(precision, '0').replace(/0+$/, '');
  const whole = value / scale;
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/** The seconds part once whole minutes are taken out: keeps the fraction of `withFraction`. */
function trimmedSeconds(secondsText: string, wholeSeconds: bigint): string {
  const dot = secondsText.indexOf('.');
  const fraction = dot >= 0 ? secondsText.slice(dot) : '';
  return `${wholeSeconds % 60n}${fraction}`;
}
