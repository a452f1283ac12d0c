import { admitted, rejected, type AdmitResult } from '../extension-points/admit-handler.js';
import { admittedContainerNames, TOPOLOGY_AFFINITY_ERROR, TOPOLOGY_AFFINITY_MESSAGE, type AdmissionSteps, type Scope } from './scope.js';

/**
 * One merge per pod: providers answer for the pod's effective request (upstream PodRequests:
 * max of the app containers plus the sidecars, and each regular init container plus the
 * sidecars before it), and every container is allocated under the pod's one hint.
 */
export class PodScope implements Scope {
  readonly name = 'pod';

  async admit(steps: AdmissionSteps): Promise<AdmitResult> {
    const gathered = await steps.gatherHints();
    if (!gathered.ok) return gathered.result;
    const { bestHint, admit } = steps.policy.merge(gathered.hints);
    steps.decided(bestHint, admit);
    if (!admit) return rejected(TOPOLOGY_AFFINITY_ERROR, TOPOLOGY_AFFINITY_MESSAGE);
    for (const containerName of admittedContainerNames(steps.pod)) {
      const refused = await steps.allocate(containerName, bestHint);
      if (refused !== undefined) return refused;
    }
    return admitted;
  }
}
