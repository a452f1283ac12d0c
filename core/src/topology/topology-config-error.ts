/** A topology manager setting (policy, scope, option, machine NUMA info) that cannot be used. */
export class TopologyConfigError extends Error {
  override readonly name = 'TopologyConfigError';
  constructor(
    /** The setting, e.g. "topologyManagerPolicy" or "topologyManagerPolicyOptions[prefer-closest-numa-nodes]". */
    readonly field: string,
    /** The offending value as given. */
    readonly value: unknown,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}
