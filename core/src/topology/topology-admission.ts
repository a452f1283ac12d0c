import type { Pod } from '@kernelet/sdk/common';
import type { AdmitHandler, AdmitResult } from '../extension-points/admit-handler.js';
import type { Contributions } from '../extension-points/contributions.js';
import { HintProvider } from '../extension-points/hint-provider.js';
import type { TopologyManager } from './topology-manager.js';

/**
 * The admission step that places a pod: the topology manager merges every registered
 * hint provider's hints and has each allocate under the chosen hint. It runs after every
 * check, so a pod that a check rejects never holds CPUs or memory, even for a moment.
 */
export const ResourceAllocation = Symbol('ResourceAllocation');

export class TopologyAdmission implements AdmitHandler {
  readonly name = 'topology-manager';

  constructor(
    readonly manager: TopologyManager,
    private readonly contributions: Contributions,
  ) {}

  admit(pod: Pod): Promise<AdmitResult> {
    return this.manager.admit(pod, this.contributions.getAll<HintProvider>(HintProvider));
  }
}
