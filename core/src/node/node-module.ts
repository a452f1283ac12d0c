import { ContainerModule } from 'inversify';
import { Startable } from '../agent/lifecycle.js';
import { NodeStatus } from './node-status.js';
import { RuntimeState } from './runtime-state.js';

/** The node's capacity, allocatable and conditions. */
export const nodeModule = new ContainerModule(({ bind }) => {
  bind(RuntimeState).toSelf().inSingletonScope();
  bind(NodeStatus).toSelf().inSingletonScope();
  bind(Startable).toService(NodeStatus);
});
