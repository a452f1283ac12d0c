import * as grpc from '@grpc/grpc-js';

/** A failed CRI call: the method, the gRPC status and the runtime's own words. */
export class CriError extends Error {
  override readonly name = 'CriError';
  constructor(
    /** "RuntimeService.RunPodSandbox" */
    readonly method: string,
    readonly code: grpc.status,
    /** The runtime's message (gRPC status details). */
    readonly detail: string,
    readonly durationMs: number,
    options?: { cause?: unknown },
  ) {
    super(`${method} failed (${grpc.status[code] ?? code}): ${detail}`, options);
  }

  get codeName(): string {
    return grpc.status[this.code] ?? String(this.code);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof CriError && error.code === grpc.status.NOT_FOUND;
}

export function isUnimplemented(error: unknown): boolean {
  return error instanceof CriError && error.code === grpc.status.UNIMPLEMENTED;
}

/** The runtime did not answer (down, restarting, socket missing) or missed the deadline. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof CriError && (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED);
}

/** The text to show for any error: the runtime's words for a CRI error, else the message. */
export function errorText(error: unknown): string {
  if (error instanceof CriError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** gRPC status codes as Go's codes.Code prints them. */
const GO_CODE_NAMES: Readonly<Record<number, string>> = {
  [grpc.status.OK]: 'OK',
  [grpc.status.CANCELLED]: 'Canceled',
  [grpc.status.UNKNOWN]: 'Unknown',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.PERMISSION_DENIED]: 'PermissionDenied',
  [grpc.status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.ABORTED]: 'Aborted',
  [grpc.status.OUT_OF_RANGE]: 'OutOfRange',
  [grpc.status.UNIMPLEMENTED]: 'Unimplemented',
  [grpc.status.INTERNAL]: 'Internal',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
  [grpc.status.DATA_LOSS]: 'DataLoss',
  [grpc.status.UNAUTHENTICATED]: 'Unauthenticated',
};

/**
 * A failed CRI call as upstream's CRI client reports it, for the texts it shows in pod statuses:
 * Go's gRPC error ("rpc error: code = NotFound desc = ..."). With stripUnknown, an Unknown code
 * gives the runtime's words alone, as upstream's PullImage does. Other errors: their message.
 */
export function grpcErrorText(error: unknown, options: { stripUnknown?: boolean } = {}): string {
  if (!(error instanceof CriError)) return error instanceof Error ? error.message : String(error);
  if (options.stripUnknown && error.code === grpc.status.UNKNOWN) return error.detail;
  return `rpc error: code = ${GO_CODE_NAMES[error.code] ?? `Code(${error.code})`} desc = ${error.detail}`;
}
