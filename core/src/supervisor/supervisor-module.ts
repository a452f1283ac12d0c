import { ContainerModule } from 'inversify';
import { Startable } from '../agent/lifecycle.js';
import { PluginSupervisor } from './plugin-supervisor.js';

export const supervisorModule = new ContainerModule(({ bind }) => {
  bind(PluginSupervisor).toSelf().inSingletonScope();
  bind(Startable).toService(PluginSupervisor);
});
