import { ContainerModule } from 'inversify';
import { AdmitHandler } from '../extension-points/admit-handler.js';
import { PodStore } from '../pods/pod-store.js';
import { AdmissionChain } from './admission-chain.js';
import { InitContainerRestartPolicyAdmitHandler, NodeResourcesAdmitHandler, SysctlAdmitHandler } from './builtin-admit-handlers.js';

/** The admission chain and its built-in checks, in the order they run: node resources (and maxPods), sysctls, init containers. */
export const admissionModule = new ContainerModule(({ bind }) => {
  bind(PodStore).toSelf().inSingletonScope();
  bind(AdmissionChain).toSelf().inSingletonScope();
  bind(NodeResourcesAdmitHandler).toSelf().inSingletonScope();
  bind(SysctlAdmitHandler).toSelf().inSingletonScope();
  bind(InitContainerRestartPolicyAdmitHandler).toSelf().inSingletonScope();
  bind(AdmitHandler).toService(NodeResourcesAdmitHandler);
  bind(AdmitHandler).toService(SysctlAdmitHandler);
  bind(AdmitHandler).toService(InitContainerRestartPolicyAdmitHandler);
});
