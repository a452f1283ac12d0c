/**
 * Eviction signals and threshold values, checked as the kubelet parses them at startup:
 * a known signal, and either a percentage in [0%, 100%] or a non-negative quantity.
 */
import { Quantity } from '@kernelet/sdk/common';
import { parseDurationNanos } from './duration.js';
import { keyPath, type ProblemList } from './problem.js';

export const EVICTION_SIGNALS: readonly string[] = [
  'memory.available',
  'allocatableMemory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'containerfs.available',
  'containerfs.inodesFree',
  'pid.available',
];

/** A threshold's value: a fraction of capacity or an absolute amount. */
export type ThresholdValue = { percentage: number } | { quantity: Quantity };

/** Parses "10%" or "100Mi"; undefined when it is neither. */
export function parseThresholdValue(text: string): ThresholdValue | undefined {
  if (text.endsWith('%')) {
    const number = text.slice(0, -1);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(number)) return undefined;
    return { percentage: Number(number) };
  }
  const quantity = Quantity.tryParse(text);
  return quantity === undefined ? undefined : { quantity };
}

/** Checks a threshold map (evictionHard, evictionSoft, evictionMinimumReclaim). */
export function checkThresholdMap(field: string, thresholds: Readonly<Record<string, string>> | undefined, problems: ProblemList): void {
  for (const [signal, text] of Object.entries(thresholds ?? {})) {
    const at = keyPath(field, signal);
    if (!EVICTION_SIGNALS.includes(signal)) {
      problems.add(at, `unknown eviction signal "${signal}" (valid: ${EVICTION_SIGNALS.join(', ')})`);
    }
    const value = parseThresholdValue(text);
    if (value === undefined) {
      problems.add(at, text.endsWith('%') ? `invalid percentage "${text}"` : `invalid quantity "${text}"`);
    } else if ('percentage' in value && (value.percentage < 0 || value.percentage > 100)) {
      problems.add(at, `percentage "${text}" must be between 0% and 100%`);
    } else if ('quantity' in value && value.quantity.sign() < 0) {
      problems.add(at, `threshold "${text}" must not be negative`);
    }
  }
}

/** Soft thresholds each need a grace period, and every grace period must be a duration >= 0. */
export function checkSoftEviction(
  soft: Readonly<Record<string, string>> | undefined,
  gracePeriods: Readonly<Record<string, string>> | undefined,
  problems: ProblemList,
): void {
  for (const signal of Object.keys(soft ?? {})) {
    if (gracePeriods?.[signal] === undefined) {
      problems.add(keyPath('evictionSoft', signal), `soft threshold needs a grace period in evictionSoftGracePeriod[${signal}]`);
    }
  }
  for (const [signal, text] of Object.entries(gracePeriods ?? {})) {
    const at = keyPath('evictionSoftGracePeriod', signal);
    if (!EVICTION_SIGNALS.includes(signal)) problems.add(at, `unknown eviction signal "${signal}"`);
    try {
      if (parseDurationNanos(text) < 0n) problems.add(at, `grace period "${text}" must not be negative`);
    } catch (err) {
      problems.add(at, (err as Error).message);
    }
  }
}

/** The hard memory.available threshold as an absolute amount, when it is one. */
export function hardMemoryThreshold(evictionHard: Readonly<Record<string, string>> | undefined): ThresholdValue | undefined {
  const text = evictionHard?.['memory.available'];
  return text === undefined ? undefined : parseThresholdValue(text);
}
