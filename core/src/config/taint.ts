/**
 * The checks the kubelet makes on each registerWithTaints entry (upstream CheckTaintValidation):
 * the key is a qualified name, a value is a label value, an effect, when given, is one of the
 * three taint effects.
 */
import type { Taint } from './kubelet-configuration.js';

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** One thing wrong with a taint: the taint's own field ("key", "value", "effect") and why. */
export interface TaintProblem {
  field: 'key' | 'value' | 'effect';
  message: string;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function taintProblems(taint: Taint): TaintProblem[] {
  const problems: TaintProblem[] = [];
  const keyProblem = qualifiedNameProblem(taint.key);
  if (keyProblem !== undefined) problems.push({ field: 'key', message: `invalid taint key "${taint.key}": ${keyProblem}` });
  const value = taint.value ?? '';
  if (value !== '') {
    const valueProblem = nameProblem(value, 'a label value');
    if (valueProblem !== undefined) problems.push({ field: 'value', message: `invalid taint value "${value}": ${valueProblem}` });
  }
  if (taint.effect !== '' && !TAINT_EFFECTS.includes(taint.effect)) {
    problems.push({ field: 'effect', message: `unknown taint effect "${taint.effect}" (valid: ${TAINT_EFFECTS.join(', ')})` });
  }
  return problems;
}

/** A qualified name: an optional DNS subdomain prefix and "/", then a name of up to 63 characters. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a qualified name has at most one "/"';
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') return 'the prefix before "/" must not be empty';
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `the prefix "${prefix}" must be a lowercase DNS subdomain of at most 253 characters`;
  }
  if (name === '') return 'the name part must not be empty';
  return nameProblem(name, 'the name part');
}

function nameProblem(text: string, what: string): string | undefined {
  if (text.length > 63) return `${what} must be at most 63 characters`;
  if (!NAME.test(text)) return `${what} must consist of alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric`;
  return undefined;
}
