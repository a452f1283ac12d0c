import { status } from '@grpc/grpc-js';

/** An error that reaches the CRI client with this gRPC status code and message. */
export class CriError extends Error {
  override readonly name = 'CriError';

  constructor(
    readonly code: status,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function invalidArgument(message: string, options?: ErrorOptions): CriError {
  return new CriError(status.INVALID_ARGUMENT, message, options);
}

export function notFound(message: string): CriError {
  return new CriError(status.NOT_FOUND, message);
}

export function failedPrecondition(message: string, options?: ErrorOptions): CriError {
  return new CriError(status.FAILED_PRECONDITION, message, options);
}

export function alreadyExists(message: string): CriError {
  return new CriError(status.ALREADY_EXISTS, message);
}

export function unimplemented(method: string, why: string): CriError {
  return new CriError(status.UNIMPLEMENTED, `${method} is not implemented by the kernelet embedded runtime: ${why}`);
}

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
