import { ContainerModule } from 'inversify';
import { Startable } from '../agent/lifecycle.js';
import { DebugServer } from './debug-server.js';
import { PluginStatus } from './plugin-status.js';

export const httpModule = new ContainerModule(({ bind }) => {
  bind(PluginStatus).toSelf().inSingletonScope();
  bind(DebugServer).toSelf().inSingletonScope();
  bind(Startable).toService(DebugServer);
});
