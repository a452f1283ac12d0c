import { ContainerModule } from 'inversify';
import { AdmissionChain } from '../admission/admission-chain.js';
import { Startable } from '../agent/lifecycle.js';
import { AgentOptions } from '../config/agent-options.js';
import { parseDuration } from '../config/duration.js';
import { Contributions } from '../extension-points/contributions.js';
import { DebugServer } from '../http/debug-server.js';
import { Logger } from '../logging/logger.js';
import { NodeStatus } from '../node/node-status.js';
import { RuntimeState } from '../node/runtime-state.js';
import { Pleg } from '../pleg/pleg.js';
import { PodStatusCache } from '../pleg/pod-status-cache.js';
import { PluginRegistry } from '../plugin-registry/plugin-registry.js';
import { PodCgroups } from './pod-cgroups.js';
import { PodConfig } from './pod-config.js';
import { PodLifecycle } from './pod-lifecycle.js';
import { PodManager } from './pod-manager.js';
import { PodRuntime } from './pod-runtime.js';
import { expectedPodSources } from './pod-source-plugins.js';
import { PodSourceWatcher } from './pod-source-watcher.js';
import { PodStore } from './pod-store.js';
import { podsRoutes } from './pods-routes.js';
import { ContainerLogManager } from '../cri/container-log-manager.js';
import { RuntimeService } from '../cri/runtime-service.js';
import { Quantity } from '@kernelet/sdk/common';
import { TopologyManager } from '../topology/topology-manager.js';
import { HintProvider } from '../extension-points/hint-provider.js';
import { ResourceReconciler } from './resource-reconciler.js';

function ms(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  try {
    return parseDuration(text) || fallback;
  } catch {
    return fallback;
  }
}

/** The pod loop: pod config, admission hand-off, pod workers, housekeeping, and GET /pods and /node. */
export const podsModule = new ContainerModule(({ bind }) => {
  bind(PodManager).toSelf().inSingletonScope();
  bind(PodCgroups)
    .toResolvedValue((options: AgentOptions, logger: Logger) => {
      const k = options.kubelet;
      return new PodCgroups(
        {
          cgroupsPerQOS: k.cgroupsPerQOS,
          cgroupRoot: k.cgroupRoot || '/',
          cgroupDriver: k.cgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs',
          podPidsLimit: k.podPidsLimit,
          cpuCFSQuota: k.cpuCFSQuota,
          cpuPeriodUs: Math.round(ms(k.cpuCFSQuotaPeriod, 100) * 1000),
        },
        logger.child({ component: 'cgroups' }),
      );
    }, [AgentOptions, Logger])
    .inSingletonScope();
  bind(PodConfig)
    .toResolvedValue(
      (logger: Logger) => new PodConfig((p) => logger.warn({ source: p.source, pod: p.pod, reason: 'FailedValidation' }, p.message)),
      [Logger],
    )
    .inSingletonScope();
  bind(PodLifecycle)
    .toResolvedValue(
      (
        options: AgentOptions,
        manager: PodManager,
        store: PodStore,
        admission: AdmissionChain,
        runtime: PodRuntime,
        cache: PodStatusCache,
        pleg: Pleg,
        cgroups: PodCgroups,
        state: RuntimeState,
        node: NodeStatus,
        config: PodConfig,
        logger: Logger,
        topology: TopologyManager,
        contributions: Contributions,
        reconciler: ResourceReconciler,
      ) => {
        const k = options.kubelet;
        const expected = expectedPodSources(options);
        return new PodLifecycle(
          {
            rootDir: options.flags.rootDir,
            podLogsDir: k.podLogsDir,
            resyncIntervalMs: ms(k.syncFrequency, 60_000),
            housekeepingPeriodMs: options.kernelet.podHousekeepingPeriodMs,
            containerGCPeriodMs: 60_000,
            expectedSources: () => expected,
            sourcesSeen: (sources) => config.seenAll(sources),
            releasePod: async (uid, names) => {
              topology.removePod(uid);
              const providers = contributions.getAll<HintProvider>(HintProvider);
              await Promise.all(providers.flatMap((p) => names.map((name) => p.removeContainer(uid, name))));
              // Released exclusive CPUs go back to the shared pool of the running containers.
              reconciler.requestSoon();
            },
          },
          manager,
          store,
          admission,
          runtime,
          cache,
          pleg,
          cgroups,
          state,
          node,
          logger.child({ component: 'pods' }),
        );
      },
      [AgentOptions, PodManager, PodStore, AdmissionChain, PodRuntime, PodStatusCache, Pleg, PodCgroups, RuntimeState, NodeStatus, PodConfig, Logger, TopologyManager, Contributions, ResourceReconciler],
    )
    .inSingletonScope();
  bind(ResourceReconciler)
    .toResolvedValue(
      (options: AgentOptions, runtime: RuntimeService, store: PodStore, pleg: Pleg, topology: TopologyManager, contributions: Contributions, logger: Logger) => {
        const reconciler = new ResourceReconciler(
          {
            periodMs: ms(options.kubelet.cpuManagerReconcilePeriod, 10_000),
            settleMs: 100,
            providers: () => contributions.getAll<HintProvider>(HintProvider),
            createdWith: (uid, name) => topology.allocationFor(uid, name),
          },
          runtime,
          store,
          logger.child({ component: 'resource-reconciler' }),
        );
        // A started container may have been created with a shared pool that shrank since it was admitted.
        pleg.watch((events) => {
          if (events.some((e) => e.type === 'ContainerStarted')) reconciler.requestSoon();
        });
        return reconciler;
      },
      [AgentOptions, RuntimeService, PodStore, Pleg, TopologyManager, Contributions, Logger],
    )
    .inSingletonScope();
  bind(Startable).toService(ResourceReconciler);
  bind(ContainerLogManager)
    .toResolvedValue((options: AgentOptions, runtime: RuntimeService, pleg: Pleg, logger: Logger) => {
      const k = options.kubelet;
      const maxSize = Quantity.tryParse(k.containerLogMaxSize);
      return new ContainerLogManager(
        runtime,
        k.podLogsDir,
        { maxSizeBytes: maxSize ? Number(maxSize.value()) : 10 * 1024 * 1024, maxFiles: Math.max(2, k.containerLogMaxFiles) },
        k.containerLogMaxWorkers,
        () => pleg.runtimePods(),
        logger.child({ component: 'container-logs' }),
      );
    }, [AgentOptions, RuntimeService, Pleg, Logger])
    .inSingletonScope();
  bind(Startable).toResolvedValue(
    (lifecycle: PodLifecycle, cgroups: PodCgroups, node: NodeStatus, options: AgentOptions, debug: DebugServer, manager: PodManager, logs: ContainerLogManager): Startable => ({
      name: 'pod-workers',
      start: async () => {
        const enforce = options.kubelet.enforceNodeAllocatable.includes('pods');
        await cgroups.ensureQoSCgroups(enforce ? node.kubepodsLimits() : undefined);
        podsRoutes(debug, manager, node);
        lifecycle.start();
        logs.start(ms(options.kubelet.containerLogMonitorInterval, 10_000));
      },
      stop: async () => {
        logs.stop();
        await lifecycle.stop();
      },
    }),
    [PodLifecycle, PodCgroups, NodeStatus, AgentOptions, DebugServer, PodManager, ContainerLogManager],
  );
  bind(PodSourceWatcher)
    .toResolvedValue(
      (contributions: Contributions, registry: PluginRegistry, config: PodConfig, lifecycle: PodLifecycle, logger: Logger) => new PodSourceWatcher(contributions, registry, config, lifecycle, logger.child({ component: 'pod-sources' })),
      [Contributions, PluginRegistry, PodConfig, PodLifecycle, Logger],
    )
    .inSingletonScope();
  bind(Startable).toService(PodSourceWatcher);
});
