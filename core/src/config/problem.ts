/** One thing wrong (or worth a warning) in the agent's configuration. */
export interface ConfigProblem {
  /** Field path, e.g. "evictionHard[memory.available]" or "--max-pods". */
  field: string;
  message: string;
}

/** Renders a problem the way the agent prints it: `field: message`. */
export function formatProblem(problem: ConfigProblem): string {
  return problem.field === '' ? problem.message : `${problem.field}: ${problem.message}`;
}

/** Collects problems and warnings while configuration is read; nothing stops at the first. */
export class ProblemList {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];

  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  warn(field: string, message: string): void {
    this.warnings.push({ field, message });
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }
}

/** Appends a child to a field path: ("a", "b") -> "a.b"; ("", "b") -> "b". */
export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

/** A map key or list index in a field path: ("evictionHard", "memory.available") -> "evictionHard[memory.available]". */
export function keyPath(parent: string, key: string | number): string {
  return `${parent}[${key}]`;
}
