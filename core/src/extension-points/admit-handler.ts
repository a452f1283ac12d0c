import type { Pod } from '@kernelet/sdk/common';

export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

/**
 * Decides whether a pod may run on the node. Handlers run in order, after the agent's
 * built-in checks; the first rejection ends admission.
 *
 * Failure policy: a plugin handler that errors, returns a malformed answer, or misses
 * its deadline rejects the pod with reason UnexpectedAdmissionError, unless the
 * operator set that plugin's failurePolicy to Ignore, in which case it admits.
 */
export interface AdmitHandler {
  /** The plugin (or built-in check) name, for logs and rejection messages. */
  readonly name: string;
  admit(pod: Pod): Promise<AdmitResult>;
}
export const AdmitHandler = Symbol('AdmitHandler');
export const ADMIT_HANDLER_SERVICE = 'v1alpha1.AdmitHandler';

export const admitted: AdmitResult = { admit: true };

export function rejected(reason: string, message: string): AdmitResult {
  return { admit: false, reason, message };
}
