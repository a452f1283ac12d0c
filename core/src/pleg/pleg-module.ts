import { ContainerModule } from 'inversify';
import type { Registry } from 'prom-client';
import { Startable } from '../agent/lifecycle.js';
import { RuntimeStatusReaderToken } from '../cri/cri-module.js';
import type { RuntimeStatusReader } from '../cri/runtime-status-reader.js';
import { RuntimeService } from '../cri/runtime-service.js';
import { Logger } from '../logging/logger.js';
import { MetricsRegistry } from '../metrics/metrics.js';
import { RuntimeState } from '../node/runtime-state.js';
import { DEFAULT_PLEG_OPTIONS, GenericPleg, Pleg } from './pleg.js';
import { PodStatusCache } from './pod-status-cache.js';

/** The PLEG and the pod status cache it fills; its health is part of the node's Ready condition. */
export const plegModule = new ContainerModule(({ bind }) => {
  bind(PodStatusCache).toSelf().inSingletonScope();
  bind(GenericPleg)
    .toResolvedValue(
      (runtimeService: RuntimeService, reader: RuntimeStatusReader, cache: PodStatusCache, logger: Logger, registry: Registry, state: RuntimeState) => {
        const pleg = new GenericPleg(runtimeService, reader, cache, logger.child({ component: 'pleg' }), DEFAULT_PLEG_OPTIONS, registry);
        state.addHealthCheck('PLEG', () => pleg.healthy());
        return pleg;
      },
      [RuntimeService, RuntimeStatusReaderToken, PodStatusCache, Logger, MetricsRegistry, RuntimeState],
    )
    .inSingletonScope();
  bind(Pleg).toService(GenericPleg);
  bind(Startable).toResolvedValue((pleg: GenericPleg): Startable => ({ name: 'pleg', start: () => pleg.start(), stop: async () => pleg.stop() }), [GenericPleg]);
});
