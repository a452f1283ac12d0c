import { admitted, type AdmitResult } from '../extension-points/admit-handler.js';
import { admittedContainerNames, type AdmissionSteps, type Scope } from './scope.js';

/**
 * The none policy, whatever the configured scope (as upstream): no hints are asked
 * for, and each container is still allocated, under the none policy's any-node hint.
 */
export class NoneScope implements Scope {
  readonly name = 'none';

  async admit(steps: AdmissionSteps): Promise<AdmitResult> {
    const { bestHint } = steps.policy.merge([]);
    for (const containerName of admittedContainerNames(steps.pod)) {
      const refused = await steps.allocate(containerName, bestHint);
      if (refused !== undefined) return refused;
    }
    return admitted;
  }
}
