/**
 * The gRPC status codes by which a plugin refuses the configuration it was sent: the SDK
 * answers FAILED_PRECONDITION when a plugin's configure() throws and INVALID_ARGUMENT when
 * the request cannot be read. Only these mean the operator must change something; any
 * other failure of Configure (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNIMPLEMENTED, ...)
 * is a failed registration attempt, retried like one.
 */
const REFUSAL_CODES: ReadonlySet<string> = new Set(['FAILED_PRECONDITION', 'INVALID_ARGUMENT']);

/** Whether a failed Configure call (its gRPC status name) is the plugin refusing its configuration. */
export function isConfigurationRefusal(code: string): boolean {
  return REFUSAL_CODES.has(code);
}
