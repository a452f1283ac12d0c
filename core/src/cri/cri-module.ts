import { readFileSync } from 'node:fs';
import { ContainerModule } from 'inversify';
import { Startable } from '../agent/lifecycle.js';
import { NodeName } from '../agent/node-facts.js';
import { AgentOptions } from '../config/agent-options.js';
import { parseDuration } from '../config/duration.js';
import { Logger } from '../logging/logger.js';
import { MetricsRegistry } from '../metrics/metrics.js';
import { NodeStatus } from '../node/node-status.js';
import { RuntimeState } from '../node/runtime-state.js';
import { Backoff } from '../pods/backoff.js';
import { PodCgroups } from '../pods/pod-cgroups.js';
import { PodManager } from '../pods/pod-manager.js';
import { isHostNetwork } from '../pods/pod-naming.js';
import { PodRuntime } from '../pods/pod-runtime.js';
import type { Registry } from 'prom-client';
import { TopologyManager } from '../topology/topology-manager.js';
import { CriMetrics } from './cri-metrics.js';
import { RuntimeEndpoints } from './cri-module-tokens.js';
import { parseResolvConf, podDNSConfig, type HostDNS } from './dns-config.js';
import { GrpcCriConnection, GrpcImageService, GrpcRuntimeService } from './grpc-runtime-client.js';
import { ImagePuller } from './image-puller.js';
import { RuntimeConnection } from './runtime-connection.js';
import { resolveRuntimeEndpoints } from './runtime-endpoint.js';
import { RuntimeManager } from './runtime-manager.js';
import { ImageService, RuntimeService } from './runtime-service.js';
import { RuntimeStatusReader } from './runtime-status-reader.js';

/** The kubelet's crash-loop backoff: 10 s doubling to 300 s (upstream backOffPeriod, MaxContainerBackOff). */
export const CRASH_LOOP_INITIAL_MS = 10_000;
export const CRASH_LOOP_MAX_MS = 300_000;
/**
 * Test-only: the crash-loop backoff's initial delay (a Go duration). End-to-end tests set it
 * to observe several doublings within CI's time; it is not a configuration field and
 * operators must not rely on it.
 */
export const TEST_ONLY_CRASH_LOOP_INITIAL_ENV = 'KERNELET_TEST_ONLY_CRASHLOOP_BACKOFF_INITIAL';

export const CrashLoopBackoff = Symbol('CrashLoopBackoff');
/** The runtime name kernelet's embedded runtime answers in Version. */
export const EMBEDDED_RUNTIME_NAME = 'kernelet-embedded';
export const RuntimeStatusReaderToken = Symbol('RuntimeStatusReader');
export const ImagePullerToken = Symbol('ImagePuller');

function durationMs(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  try {
    return parseDuration(text);
  } catch {
    return fallback;
  }
}

/** The CRI client (runtime and image services), the runtime manager and the link to the runtime. */
export const criModule = new ContainerModule(({ bind }) => {
  bind<RuntimeEndpoints>(RuntimeEndpoints).toResolvedValue((options: AgentOptions) => resolveRuntimeEndpoints(options), [AgentOptions]).inSingletonScope();
  bind(CriMetrics).toResolvedValue((registry: Registry) => new CriMetrics(registry), [MetricsRegistry]).inSingletonScope();
  bind(RuntimeService)
    .toResolvedValue(
      (options: AgentOptions, endpoints: RuntimeEndpoints, logger: Logger, metrics: CriMetrics) =>
        new GrpcRuntimeService(new GrpcCriConnection({ endpoint: endpoints.runtimeEndpoint, requestTimeoutMs: durationMs(options.kubelet.runtimeRequestTimeout, 120_000), logger, metrics })),
      [AgentOptions, RuntimeEndpoints, Logger, CriMetrics],
    )
    .inSingletonScope();
  bind(ImageService)
    .toResolvedValue(
      (options: AgentOptions, endpoints: RuntimeEndpoints, logger: Logger, metrics: CriMetrics) =>
        new GrpcImageService(new GrpcCriConnection({ endpoint: endpoints.imageEndpoint, requestTimeoutMs: durationMs(options.kubelet.runtimeRequestTimeout, 120_000), logger, metrics })),
      [AgentOptions, RuntimeEndpoints, Logger, CriMetrics],
    )
    .inSingletonScope();
  bind(RuntimeConnection).toSelf().inSingletonScope();
  bind(Startable).toService(RuntimeConnection);

  bind<RuntimeStatusReader>(RuntimeStatusReaderToken)
    .toResolvedValue(
      (runtimeService: RuntimeService, pods: PodManager) =>
        new RuntimeStatusReader(runtimeService, {
          isHostNetwork: (uid) => {
            const pod = pods.get(uid);
            return pod ? isHostNetwork(pod) : undefined;
          },
        }),
      [RuntimeService, PodManager],
    )
    .inSingletonScope();
  bind<Backoff>(CrashLoopBackoff)
    .toResolvedValue((options: AgentOptions) => {
      const max = options.featureGates['KubeletCrashLoopBackOffMax'] ? durationMs(options.kubelet.crashLoopBackOff.maxContainerRestartPeriod, CRASH_LOOP_MAX_MS) : CRASH_LOOP_MAX_MS;
      const initial = Math.min(durationMs(process.env[TEST_ONLY_CRASH_LOOP_INITIAL_ENV], CRASH_LOOP_INITIAL_MS), max);
      return new Backoff(initial, max);
    }, [AgentOptions])
    .inSingletonScope();
  bind<ImagePuller>(ImagePullerToken)
    .toResolvedValue(
      (options: AgentOptions, images: ImageService, logger: Logger) =>
        new ImagePuller(
          images,
          new Backoff(CRASH_LOOP_INITIAL_MS, CRASH_LOOP_MAX_MS),
          { serialize: options.kubelet.serializeImagePulls, ...(options.kubelet.maxParallelImagePulls ? { maxParallel: options.kubelet.maxParallelImagePulls } : {}) },
          logger.child({ component: 'image-puller' }),
        ),
      [AgentOptions, ImageService, Logger],
    )
    .inSingletonScope();
  bind<PodRuntime>(PodRuntime)
    .toResolvedValue(
      (
        options: AgentOptions,
        nodeName: string,
        runtimeService: RuntimeService,
        images: ImagePuller,
        reader: RuntimeStatusReader,
        backoff: Backoff,
        cgroups: PodCgroups,
        node: NodeStatus,
        state: RuntimeState,
        logger: Logger,
        topology: TopologyManager,
      ) => {
        const k = options.kubelet;
        let hostDNS: HostDNS = { servers: [], searches: [], options: [] };
        if (k.resolvConf) {
          try {
            hostDNS = parseResolvConf(readFileSync(k.resolvConf, 'utf8'));
          } catch (error) {
            logger.warn({ resolvConf: k.resolvConf, err: (error as Error).message }, 'cannot read resolvConf; pods get no DNS settings from the host');
          }
        }
        return new RuntimeManager(
          () => state.runtimeName || 'unknown',
          runtimeService,
          images,
          reader,
          backoff,
          {
            rootDir: options.flags.rootDir,
            podLogsDir: k.podLogsDir,
            nodeName,
            runtimeHandler: '',
            seccompDefault: k.seccompDefault,
            resources: { cpuCFSQuota: k.cpuCFSQuota, cpuPeriodUs: Math.round(durationMs(k.cpuCFSQuotaPeriod, 100) * 1000), memoryCapacityBytes: Number(node.capacity().get('memory')?.value() ?? 0n) },
            cgroupParent: (pod) => cgroups.parentFor(pod),
            dnsConfig: (pod) => podDNSConfig(pod, hostDNS, { clusterDNS: k.clusterDNS ?? [], clusterDomain: k.clusterDomain ?? '' }),
            nodeIPs: () => node.nodeIPs,
            allocatable: () => {
              const a = node.allocatable();
              return { cpuMilli: Number(a.get('cpu')?.milliValue() ?? 0n), memoryBytes: Number(a.get('memory')?.value() ?? 0n) };
            },
            allocation: (podUID, containerName) => topology.allocationFor(podUID, containerName),
            // The embedded runtime gives containers the host's /dev: a file bound at
            // /dev/termination-log would have to be created on the host, so it gets none.
            terminationMessageMounts: () => state.runtimeName !== EMBEDDED_RUNTIME_NAME,
          },
          logger.child({ component: 'runtime-manager' }),
        );
      },
      [AgentOptions, NodeName, RuntimeService, ImagePullerToken, RuntimeStatusReaderToken, CrashLoopBackoff, PodCgroups, NodeStatus, RuntimeState, Logger, TopologyManager],
    )
    .inSingletonScope();
});
