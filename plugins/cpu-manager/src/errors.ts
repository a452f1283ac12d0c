/**
 * What the CPU manager can refuse, each carrying the offending value. Admission
 * errors keep the kubelet's reasons; state errors name the file, the field and
 * the exact remedy, so the agent can report them instead of crash-looping.
 */

/** Upstream admission reason for any allocation failure without a reason of its own. */
export const UNEXPECTED_ADMISSION_ERROR = 'UnexpectedAdmissionError';
/** Upstream admission reason when full-pcpus-only cannot be honoured. */
export const SMT_ALIGNMENT_ERROR = 'SMTAlignmentError';

/** The kubelet configuration asks for something the CPU manager cannot do. */
export class CpuManagerConfigError extends Error {
  override readonly name = 'CpuManagerConfigError';
  constructor(
    /** The configuration field, e.g. `cpuManagerPolicyOptions["full-pcpus-only"]`. */
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

/**
 * full-pcpus-only is set and the request would split a physical core, or not
 * enough whole free cores remain. The message is the kubelet's, word for word.
 */
export class SMTAlignmentError extends Error {
  override readonly name = 'SMTAlignmentError';
  readonly reason = SMT_ALIGNMENT_ERROR;
  constructor(
    readonly requestedCPUs: number,
    readonly cpusPerCore: number,
    /** Set when the request is a multiple of the SMT level but too few whole cores are free. */
    readonly availablePhysicalCPUs?: number,
  ) {
    super(
      availablePhysicalCPUs === undefined
        ? `SMT Alignment Error: requested ${requestedCPUs} cpus not multiple cpus per core = ${cpusPerCore}`
        : `SMT Alignment Error: not enough free physical CPUs: available physical CPUs = ${availablePhysicalCPUs}, requested CPUs = ${requestedCPUs}, CPUs per core = ${cpusPerCore}`,
    );
  }
}

/** Common shape of the errors that stop the CPU manager from starting on its state file. */
export abstract class CpuManagerStateError extends Error {
  constructor(
    /** The state file. */
    readonly file: string,
    /** The offending field of the file, e.g. `entries["<podUID>"]["<container>"]`, or `checksum`. */
    readonly field: string,
    /** What is wrong, with the offending value. */
    readonly problem: string,
    /** What the operator must do; the CPU manager changes nothing on its own in this case. */
    readonly remedy: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${field}: ${problem}; to recover: ${remedy}`, options);
  }
}

/** The state file cannot be trusted: not JSON, truncated, a wrong checksum, an invalid value. */
export class StateFileError extends CpuManagerStateError {
  override readonly name = 'StateFileError';
}

/**
 * The state file is valid but no longer fits the configuration or the machine
 * (another policy, newly reserved CPUs, CPUs gone) while containers hold
 * exclusive CPUs in it. Starting would take those CPUs from running pods.
 */
export class StaleStateError extends CpuManagerStateError {
  override readonly name = 'StaleStateError';
  constructor(
    file: string,
    field: string,
    problem: string,
    remedy: string,
    /** Pods holding exclusive CPUs in the state file. */
    readonly podUIDs: readonly string[],
    options?: ErrorOptions,
  ) {
    super(file, field, problem, remedy, options);
  }
}

/**
 * Raised by a policy when the state it is started on is inconsistent; the manager
 * turns it into a StateFileError or StaleStateError naming the file.
 */
export class StateValidationError extends Error {
  override readonly name = 'StateValidationError';
  constructor(
    readonly field: string,
    readonly problem: string,
    /** corrupt: the file contradicts itself; stale: it contradicts the machine or configuration. */
    readonly kind: 'corrupt' | 'stale',
  ) {
    super(`${field}: ${problem}`);
  }
}
