/**
 * Kubelet feature gates and the upstream rules for setting them (component-base featuregate):
 * an unknown gate is an error naming it; a gate locked to its default cannot be changed; setting
 * a GA or deprecated gate that is not locked works, with a warning that the gate will go away;
 * AllAlpha / AllBeta set every alpha / beta gate that is not set explicitly.
 *
 * The gates themselves, every one the v1.34 kubelet accepts, are in known-feature-gates.ts.
 */
import { ALL_ALPHA, ALL_BETA, KNOWN_FEATURE_GATES } from './known-feature-gates.js';

export type FeatureStage = 'ALPHA' | 'BETA' | 'GA' | 'DEPRECATED';

export interface FeatureSpec {
  default: boolean;
  stage: FeatureStage;
  /** Locked to its default: setting the other value is an error. */
  lockToDefault?: boolean;
}

export { ALL_ALPHA, ALL_BETA, KNOWN_FEATURE_GATES };

export interface GateIssue {
  /** The gate's name as written. */
  gate: string;
  message: string;
  severity: 'error' | 'warning';
}

/** Checks a set of gate values against the known gates: unknown and locked gates are errors. */
export function checkFeatureGates(values: Readonly<Record<string, boolean>>): GateIssue[] {
  const issues: GateIssue[] = [];
  for (const [gate, value] of Object.entries(values)) {
    const spec = KNOWN_FEATURE_GATES[gate];
    if (spec === undefined) {
      issues.push({ gate, severity: 'error', message: `unknown feature gate "${gate}"${suggestion(gate)}` });
      continue;
    }
    if (spec.lockToDefault === true && value !== spec.default) {
      issues.push({
        gate,
        severity: 'error',
        message: `cannot set feature gate ${gate} to ${value}, it is locked to ${spec.default} (${spec.stage})`,
      });
    } else if (spec.stage === 'GA' || spec.stage === 'DEPRECATED') {
      issues.push({
        gate,
        severity: 'warning',
        message: `setting ${spec.stage} feature gate ${gate}=${value}; it will be removed in a future release`,
      });
    }
  }
  return issues;
}

/** The gates in effect: defaults, then AllAlpha/AllBeta, then the gates set explicitly. */
export class FeatureGates {
  private readonly values: ReadonlyMap<string, boolean>;

  private constructor(values: Map<string, boolean>) {
    this.values = values;
  }

  /** Builds the effective gates from explicit settings. Unknown gates and changes to locked ones are skipped (check them first). */
  static fromMap(explicit: Readonly<Record<string, boolean>> = {}): FeatureGates {
    const values = new Map<string, boolean>();
    for (const [gate, spec] of Object.entries(KNOWN_FEATURE_GATES)) values.set(gate, spec.default);
    const all: [string, FeatureStage][] = [
      [ALL_ALPHA, 'ALPHA'],
      [ALL_BETA, 'BETA'],
    ];
    for (const [special, stage] of all) {
      const value = explicit[special];
      if (value === undefined) continue;
      for (const [gate, spec] of Object.entries(KNOWN_FEATURE_GATES)) {
        if (spec.stage === stage && spec.lockToDefault !== true && !(gate in explicit)) values.set(gate, value);
      }
    }
    for (const [gate, value] of Object.entries(explicit)) {
      const spec = KNOWN_FEATURE_GATES[gate];
      // A locked gate keeps its default, as upstream refuses to change it.
      if (spec !== undefined && (spec.lockToDefault !== true || value === spec.default)) values.set(gate, value);
    }
    return new FeatureGates(values);
  }

  enabled(gate: string): boolean {
    return this.values.get(gate) ?? false;
  }

  /** Every known gate and its effective value, sorted by name. */
  toRecord(): Record<string, boolean> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Parses the --feature-gates syntax: "A=true,B=false". */
export function parseFeatureGateList(text: string): { values: Record<string, boolean>; errors: string[] } {
  const values: Record<string, boolean> = {};
  const errors: string[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) {
      errors.push(`missing bool value for ${JSON.stringify(item)} (want Name=true|false)`);
      continue;
    }
    const gate = item.slice(0, eq).trim();
    const value = parseGoBool(item.slice(eq + 1).trim());
    if (value === undefined) {
      errors.push(`invalid value of ${gate}: ${JSON.stringify(item.slice(eq + 1))} (want true or false)`);
      continue;
    }
    values[gate] = value;
  }
  return { values, errors };
}

/** strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

function suggestion(gate: string): string {
  const lower = gate.toLowerCase();
  const match = Object.keys(KNOWN_FEATURE_GATES).find((known) => known.toLowerCase() === lower);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
