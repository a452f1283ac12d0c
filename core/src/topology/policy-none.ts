import type { ProviderHints } from '@kernelet/sdk/common';
import type { MergeResult, Policy } from './policy.js';

/**
 * No alignment: hints are not gathered, every pod is admitted, and providers allocate
 * under an any-node hint. Like upstream's zero TopologyHint it is not preferred, so a
 * provider that insists on a preferred hint (the memory manager's default hint) does
 * not refuse it.
 */
export class NonePolicy implements Policy {
  readonly name = 'none';

  merge(_providersHints: readonly ProviderHints[]): MergeResult {
    return { bestHint: { numaAffinity: null, preferred: false }, admit: true };
  }
}
