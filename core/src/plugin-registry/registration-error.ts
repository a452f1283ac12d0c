/**
 * The texts a refused plugin receives in NotifyRegistrationStatus(false), worded as upstream's
 * plugin manager words them (plugins and the tools around them match on these), one per stage
 * of the handshake: the type has no handler, the handler's validation of GetInfo failed, or
 * the handler's registration (for kernelet plugins: Configure) failed.
 */
const PREFIX = 'RegisterPlugin error -- ';

export function noHandlerError(type: string, socketPath: string): string {
  return `${PREFIX}no handler registered for plugin type: ${type} at socket ${socketPath}`;
}

export function validationError(cause: string): string {
  return `${PREFIX}plugin validation failed with err: ${cause}`;
}

export function registrationError(cause: string): string {
  return `${PREFIX}plugin registration failed with err: ${cause}`;
}
