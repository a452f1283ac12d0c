/**
 * Why the memory manager refuses to start from a state file. Each error names the
 * file and the field at fault, carries the offending value, and says what the
 * operator must do (`remedy`), so the plugin can refuse registration with a message
 * that needs no source code to act on.
 */

export function drainRemedy(file: string): string {
  return `drain the node, delete ${file}, then restart the memory-manager plugin`;
}

export abstract class MemoryManagerStateError extends Error {
  abstract readonly remedy: string;
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The file cannot be read as a memory manager checkpoint: not JSON, truncated, wrong shape, wrong checksum. */
export class StateFileError extends MemoryManagerStateError {
  override readonly name = 'StateFileError';
  readonly remedy: string;
  constructor(file: string, field: string, problem: string, options?: { cause?: unknown }) {
    super(file, field, `${file}: ${field ? `${field}: ` : ''}${problem}`, options);
    this.remedy = drainRemedy(file);
  }
}

export interface StaleAssignment {
  podUID: string;
  containerName: string;
  /** Where in the file, e.g. `entries["pod"]["c"][0]`. */
  field: string;
  problem: string;
}

/**
 * The machine changed so that recorded assignments no longer hold: a NUMA node is
 * gone, a memory type vanished, or the memory left is less than what running
 * containers were given. Starting anyway would hand that memory out twice.
 */
export class StaleStateError extends MemoryManagerStateError {
  override readonly name = 'StaleStateError';
  readonly remedy: string;
  constructor(
    file: string,
    readonly conflicts: readonly StaleAssignment[],
    summary = 'recorded memory assignments no longer fit this machine',
  ) {
    const first = conflicts[0];
    super(
      file,
      first?.field ?? 'machineState',
      `${file}: ${summary}: ${conflicts.map((c) => `${c.field}: ${c.problem}`).join('; ')}`,
    );
    this.remedy = drainRemedy(file);
  }
}

/** The file was written under another policy and still holds assignments. */
export class PolicyMismatchError extends MemoryManagerStateError {
  override readonly name = 'PolicyMismatchError';
  readonly remedy: string;
  constructor(
    file: string,
    readonly storedPolicy: string,
    readonly configuredPolicy: string,
    readonly assignedContainers: number,
  ) {
    super(
      file,
      'policyName',
      `${file}: policyName: state was written by policy "${storedPolicy}" and holds ${assignedContainers} container assignment(s), ` +
        `but memoryManagerPolicy is "${configuredPolicy}"`,
    );
    this.remedy = `drain the node (or set memoryManagerPolicy back to "${storedPolicy}"), delete ${file}, then restart the memory-manager plugin`;
  }
}

/** The checkpoint could not be written; the operation that needed it did not take effect. */
export class StateWriteError extends Error {
  override readonly name = 'StateWriteError';
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`${file}: could not write the memory manager state: ${reason}`, options);
  }
}
