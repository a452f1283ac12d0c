import { ContainerModule } from 'inversify';
import { Startable } from '../agent/lifecycle.js';
import { HostApiServer } from './host-api-server.js';

export const hostApiModule = new ContainerModule(({ bind }) => {
  bind(HostApiServer).toSelf().inSingletonScope();
  bind(Startable).toService(HostApiServer);
});
