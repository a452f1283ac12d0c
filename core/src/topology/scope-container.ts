import { admitted, rejected, type AdmitResult } from '../extension-points/admit-handler.js';
import { admittedContainerNames, TOPOLOGY_AFFINITY_ERROR, TOPOLOGY_AFFINITY_MESSAGE, type AdmissionSteps, type Scope } from './scope.js';

/** One merge per container: each container gets its own best hint and is allocated under it before the next is looked at. */
export class ContainerScope implements Scope {
  readonly name = 'container';

  async admit(steps: AdmissionSteps): Promise<AdmitResult> {
    for (const containerName of admittedContainerNames(steps.pod)) {
      const gathered = await steps.gatherHints(containerName);
      if (!gathered.ok) return gathered.result;
      const { bestHint, admit } = steps.policy.merge(gathered.hints);
      steps.decided(bestHint, admit, containerName);
      if (!admit) return rejected(TOPOLOGY_AFFINITY_ERROR, TOPOLOGY_AFFINITY_MESSAGE);
      const refused = await steps.allocate(containerName, bestHint);
      if (refused !== undefined) return refused;
    }
    return admitted;
  }
}
