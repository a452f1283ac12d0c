import { ContainerModule } from 'inversify';
import { AdmitHandler } from '../extension-points/admit-handler.js';
import { PodStore } from '../pods/pod-store.js';
import { AdmissionChain } from './admission-chain.js';
import { PredicateAdmitHandler, SysctlAdmitHandler } from './builtin-admit-handlers.js';

/**
 * The admission chain and its built-in checks, in the order they run, which is upstream's:
 * sysctls, then the general predicates (OS, node resources and maxPods, node affinity, node
 * name, host ports). Sidecars (init containers with restartPolicy Always) are admitted as
 * upstream does since SidecarContainers went GA; any other init container restartPolicy is
 * refused earlier, by the pod's validation at its source.
 */
export const admissionModule = new ContainerModule(({ bind }) => {
  bind(PodStore).toSelf().inSingletonScope();
  bind(AdmissionChain).toSelf().inSingletonScope();
  bind(SysctlAdmitHandler).toSelf().inSingletonScope();
  bind(PredicateAdmitHandler).toSelf().inSingletonScope();
  bind(AdmitHandler).toService(SysctlAdmitHandler);
  bind(AdmitHandler).toService(PredicateAdmitHandler);
});
