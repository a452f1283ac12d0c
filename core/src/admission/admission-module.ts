import { ContainerModule } from 'inversify';
import { AdmitHandler } from '../extension-points/admit-handler.js';
import { PodStore } from '../pods/pod-store.js';
import { AdmissionChain } from './admission-chain.js';
import { InitContainerRestartPolicyAdmitHandler, PredicateAdmitHandler, SysctlAdmitHandler } from './builtin-admit-handlers.js';

/**
 * The admission chain and its built-in checks, in the order they run, which is upstream's:
 * sysctls, then the general predicates (OS, node resources and maxPods, node affinity, node
 * name, host ports), then init containers.
 */
export const admissionModule = new ContainerModule(({ bind }) => {
  bind(PodStore).toSelf().inSingletonScope();
  bind(AdmissionChain).toSelf().inSingletonScope();
  bind(SysctlAdmitHandler).toSelf().inSingletonScope();
  bind(PredicateAdmitHandler).toSelf().inSingletonScope();
  bind(InitContainerRestartPolicyAdmitHandler).toSelf().inSingletonScope();
  bind(AdmitHandler).toService(SysctlAdmitHandler);
  bind(AdmitHandler).toService(PredicateAdmitHandler);
  bind(AdmitHandler).toService(InitContainerRestartPolicyAdmitHandler);
});
