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
