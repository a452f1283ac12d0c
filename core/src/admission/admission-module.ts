import { ContainerModule } from 'inversify';
import { PodStore } from '../pods/pod-store.js';
import { AdmissionChain } from './admission-chain.js';

export const admissionModule = new ContainerModule(({ bind }) => {
  bind(PodStore).toSelf().inSingletonScope();
  bind(AdmissionChain).toSelf().inSingletonScope();
});
