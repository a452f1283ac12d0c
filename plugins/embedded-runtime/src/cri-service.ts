import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import type { Logger } from 'pino';
import type { CgroupStats } from './cgroups.js';
import { nowNs } from './clock.js';
import { CriError, invalidArgument, unimplemented } from './errors.js';
import type { RuntimeEvent } from './events.js';
import { isImageId, parseImageRef } from './image-ref.js';
import type { ResolvedImage } from './image-store.js';
import type { ContainerRecord, ContainerState, SandboxRecord } from './records.js';
import { hostIps, RUNTIME_API_VERSION, RUNTIME_NAME, type ContainerUsage, type EmbeddedRuntime } from './runtime.js';

export const RUNTIME_VERSION = '0.1.0';

const NODE = runtime.NamespaceMode.NODE;

/**
 * The CRI RuntimeService and ImageService over the embedded runtime: parses requests,
 * calls the domain, and maps records and errors to the wire. The only place that
 * knows both.
 */
export class CriService {
  private readonly eventCalls = new Set<grpc.ServerWritableStream<runtime.GetEventsRequest, runtime.ContainerEventResponse>>();

  constructor(
    private readonly rt: EmbeddedRuntime,
    private readonly logger: Logger,
  ) {}

  /** Ends every GetContainerEvents stream (on shutdown). */
  endStreams(): void {
    for (const call of this.eventCalls) call.end();
    this.eventCalls.clear();
  }

  runtimeService(): runtime.RuntimeServiceServer {
    const rt = this.rt;
    const unary = this.unary.bind(this);
    const notImplemented = <Req, Res>(method: string, why: string): grpc.handleUnaryCall<Req, Res> =>
      unary(method, () => {
        throw unimplemented(method, why);
      });
    return {
      version: unary('Version', () => ({
        version: '0.1.0',
        runtimeName: RUNTIME_NAME,
        runtimeVersion: RUNTIME_VERSION,
        runtimeApiVersion: RUNTIME_API_VERSION,
      })),
      status: unary('Status', (req: runtime.StatusRequest) => ({
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            { type: 'NetworkReady', status: true, reason: '', message: 'pods share the host network' },
          ],
        },
        info: req.verbose ? jsonInfo(rt.statusInfo()) : {},
        runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }],
        features: { supplementalGroupsPolicy: false, userNamespacesHostNetwork: false },
      })),
      runtimeConfig: unary('RuntimeConfig', () => ({ linux: { cgroupDriver: runtime.CgroupDriver.CGROUPFS } })),
      // Pod CIDRs mean nothing when every pod uses the host network.
      updateRuntimeConfig: unary('UpdateRuntimeConfig', () => ({})),

      runPodSandbox: unary('RunPodSandbox', async (req: runtime.RunPodSandboxRequest) => {
        if (!req.config) throw invalidArgument('RunPodSandbox needs a config');
        const sandbox = await rt.runPodSandbox(req.config, req.runtimeHandler);
        return { podSandboxId: sandbox.id };
      }),
      stopPodSandbox: unary('StopPodSandbox', async (req: runtime.StopPodSandboxRequest) => {
        await rt.stopPodSandbox(requireId(req.podSandboxId, 'pod_sandbox_id'));
        return {};
      }),
      removePodSandbox: unary('RemovePodSandbox', async (req: runtime.RemovePodSandboxRequest) => {
        await rt.removePodSandbox(requireId(req.podSandboxId, 'pod_sandbox_id'));
        return {};
      }),
      podSandboxStatus: unary('PodSandboxStatus', (req: runtime.PodSandboxStatusRequest) => {
        const sandbox = rt.sandbox(requireId(req.podSandboxId, 'pod_sandbox_id'));
        return {
          status: sandboxStatus(sandbox),
          info: req.verbose ? jsonInfo({ ignored: sandbox.ignored, cgroupParent: sandbox.cgroupParent, logDirectory: sandbox.logDirectory }) : {},
          containersStatuses: rt.containersOf(sandbox.id).map(containerStatus),
          timestamp: nowNs(),
        };
      }),
      listPodSandbox: unary('ListPodSandbox', (req: runtime.ListPodSandboxRequest) => ({
        items: rt.listSandboxes(sandboxFilter(req.filter)).map(sandboxItem),
      })),
      streamPodSandboxes: this.listStream('StreamPodSandboxes', (req: runtime.StreamPodSandboxesRequest) => ({
        podSandboxes: rt.listSandboxes(sandboxFilter(req.filter)).map(sandboxItem),
      })),

      createContainer: unary('CreateContainer', async (req: runtime.CreateContainerRequest) => {
        if (!req.config) throw invalidArgument('CreateContainer needs a config');
        const c = await rt.createContainer(requireId(req.podSandboxId, 'pod_sandbox_id'), req.config);
        return { containerId: c.id };
      }),
      startContainer: unary('StartContainer', async (req: runtime.StartContainerRequest) => {
        await rt.startContainer(requireId(req.containerId, 'container_id'));
        return {};
      }),
      stopContainer: unary('StopContainer', async (req: runtime.StopContainerRequest) => {
        await rt.stopContainer(requireId(req.containerId, 'container_id'), Number(req.timeout));
        return {};
      }),
      removeContainer: unary('RemoveContainer', async (req: runtime.RemoveContainerRequest) => {
        await rt.removeContainer(requireId(req.containerId, 'container_id'));
        return {};
      }),
      containerStatus: unary('ContainerStatus', (req: runtime.ContainerStatusRequest) => {
        const c = rt.container(requireId(req.containerId, 'container_id'));
        return {
          status: containerStatus(c),
          info: req.verbose
            ? jsonInfo({ pid: c.pid, argv: c.argv, rootfs: c.rootfs, workingDir: c.workingDir, cgroup: c.cgroup, sandboxId: c.sandboxId })
            : {},
        };
      }),
      listContainers: unary('ListContainers', (req: runtime.ListContainersRequest) => ({
        containers: rt.listContainers(containerFilter(req.filter)).map(containerItem),
      })),
      streamContainers: this.listStream('StreamContainers', (req: runtime.StreamContainersRequest) => ({
        containers: rt.listContainers(containerFilter(req.filter)).map(containerItem),
      })),
      updateContainerResources: unary('UpdateContainerResources', async (req: runtime.UpdateContainerResourcesRequest) => {
        if (!req.linux) throw invalidArgument('UpdateContainerResources needs linux resources');
        await rt.updateContainerResources(requireId(req.containerId, 'container_id'), req.linux);
        return {};
      }),
      reopenContainerLog: unary('ReopenContainerLog', async (req: runtime.ReopenContainerLogRequest) => {
        await rt.reopenContainerLog(requireId(req.containerId, 'container_id'));
        return {};
      }),
      execSync: unary('ExecSync', async (req: runtime.ExecSyncRequest) => {
        const result = await rt.execSync(requireId(req.containerId, 'container_id'), req.cmd, Number(req.timeout));
        return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
      }),
      containerStats: unary('ContainerStats', async (req: runtime.ContainerStatsRequest) => {
        const c = rt.container(requireId(req.containerId, 'container_id'));
        return { stats: containerStats(c, await rt.containerUsage(c)) };
      }),
      listContainerStats: unary('ListContainerStats', async (req: runtime.ListContainerStatsRequest) => ({
        stats: await this.containerStatsList(req.filter),
      })),
      streamContainerStats: this.listStream('StreamContainerStats', async (req: runtime.StreamContainerStatsRequest) => ({
        containerStats: await this.containerStatsList(req.filter),
      })),
      podSandboxStats: unary('PodSandboxStats', async (req: runtime.PodSandboxStatsRequest) => {
        const sandbox = rt.sandbox(requireId(req.podSandboxId, 'pod_sandbox_id'));
        return { stats: await this.sandboxStats(sandbox) };
      }),
      listPodSandboxStats: unary('ListPodSandboxStats', async (req: runtime.ListPodSandboxStatsRequest) => ({
        stats: await this.sandboxStatsList(req.filter),
      })),
      streamPodSandboxStats: this.listStream('StreamPodSandboxStats', async (req: runtime.StreamPodSandboxStatsRequest) => ({
        podSandboxStats: await this.sandboxStatsList(req.filter),
      })),
      getContainerEvents: (call) => this.containerEvents(call),

      exec: notImplemented('Exec', 'streaming exec needs a streaming server; use ExecSync'),
      attach: notImplemented('Attach', 'attach needs a streaming server; read the container log instead'),
      portForward: notImplemented('PortForward', 'pods share the host network: connect to the host port directly'),
      checkpointContainer: notImplemented('CheckpointContainer', 'checkpoints need CRIU and a container runtime'),
      listMetricDescriptors: notImplemented('ListMetricDescriptors', 'use ListContainerStats and ListPodSandboxStats'),
      listPodSandboxMetrics: notImplemented('ListPodSandboxMetrics', 'use ListContainerStats and ListPodSandboxStats'),
      streamPodSandboxMetrics: (call) => {
        call.destroy(Object.assign(new Error(unimplemented('StreamPodSandboxMetrics', 'use ListContainerStats and ListPodSandboxStats').message), { code: grpc.status.UNIMPLEMENTED }));
      },
      updatePodSandboxResources: notImplemented('UpdatePodSandboxResources', 'pod-level cgroups belong to the agent; container resources can be updated'),
    };
  }

  imageService(): runtime.ImageServiceServer {
    const images = this.rt.images;
    const unary = this.unary.bind(this);
    return {
      listImages: unary('ListImages', async (req: runtime.ListImagesRequest) => ({
        images: (await this.filteredImages(req.filter)).map(imageToWire),
      })),
      streamImages: this.listStream('StreamImages', async (req: runtime.StreamImagesRequest) => ({
        images: (await this.filteredImages(req.filter)).map(imageToWire),
      })),
      imageStatus: unary('ImageStatus', async (req: runtime.ImageStatusRequest) => {
        const ref = req.image?.image ?? '';
        if (ref === '') throw invalidArgument('ImageStatus needs an image');
        const image = await images.resolve(ref);
        if (!image) return { image: undefined, info: {} };
        // A name reported present is remembered, so the id the agent creates containers
        // with resolves and ListImages agrees with ImageStatus.
        if (image.source === 'host') await images.rememberHostRef(image.repoTags[0] ?? ref);
        return {
          image: imageToWire(image),
          info: req.verbose ? jsonInfo({ info: { source: image.source, rootfs: image.rootfs, config: image.config } }) : {},
        };
      }),
      pullImage: unary('PullImage', async (req: runtime.PullImageRequest) => {
        const ref = req.image?.image ?? '';
        if (ref === '') throw invalidArgument('PullImage needs an image');
        const image = await images.pull(ref);
        return { imageRef: image.id };
      }),
      removeImage: unary('RemoveImage', async (req: runtime.RemoveImageRequest) => {
        const ref = req.image?.image ?? '';
        if (ref === '') throw invalidArgument('RemoveImage needs an image');
        await images.remove(ref, (id) => this.rt.containerUsingImage(id));
        return {};
      }),
      imageFsInfo: unary('ImageFsInfo', async () => {
        const info = await images.fsInfo();
        return {
          imageFilesystems: [
            {
              timestamp: nowNs(),
              fsId: { mountpoint: info.mountpoint },
              usedBytes: { value: info.usedBytes },
              inodesUsed: { value: info.inodesUsed },
            },
          ],
          containerFilesystems: [],
        };
      }),
    };
  }

  private async filteredImages(filter: runtime.ImageFilter | undefined): Promise<ResolvedImage[]> {
    const all = await this.rt.images.list();
    const wanted = filter?.image?.image ?? '';
    if (wanted === '') return all;
    let normalised = wanted;
    if (!isImageId(wanted)) {
      try {
        normalised = parseImageRef(wanted).normalised;
      } catch {
        return [];
      }
    }
    return all.filter((image) => image.id === wanted || image.repoTags.includes(normalised) || image.repoDigests.includes(normalised));
  }

  private async containerStatsList(filter: runtime.ContainerStatsFilter | undefined): Promise<runtime.ContainerStats[]> {
    const containers = this.rt.listContainers({
      ...(filter?.id ? { id: filter.id } : {}),
      ...(filter?.podSandboxId ? { sandboxId: filter.podSandboxId } : {}),
      labels: filter?.labelSelector ?? {},
    });
    return Promise.all(containers.map(async (c) => containerStats(c, await this.rt.containerUsage(c))));
  }

  private async sandboxStats(sandbox: SandboxRecord): Promise<runtime.PodSandboxStats> {
    const usage = await this.rt.sandboxUsage(sandbox.id);
    const { cpu, memory } = usageToWire(usage.total);
    return {
      attributes: { id: sandbox.id, metadata: sandbox.metadata, labels: sandbox.labels, annotations: sandbox.annotations },
      linux: {
        cpu,
        memory,
        network: undefined,
        process: usage.total.cgroup.pids === undefined ? undefined : { timestamp: usage.timestamp, processCount: { value: usage.total.cgroup.pids } },
        containers: usage.containers.map(({ record, usage: u }) => containerStats(record, u)),
        io: undefined,
      },
      windows: undefined,
    };
  }

  private async sandboxStatsList(filter: runtime.PodSandboxStatsFilter | undefined): Promise<runtime.PodSandboxStats[]> {
    const sandboxes = this.rt.listSandboxes({ ...(filter?.id ? { id: filter.id } : {}), labels: filter?.labelSelector ?? {} });
    return Promise.all(sandboxes.map((s) => this.sandboxStats(s)));
  }

  private containerEvents(call: grpc.ServerWritableStream<runtime.GetEventsRequest, runtime.ContainerEventResponse>): void {
    this.eventCalls.add(call);
    const unsubscribe = this.rt.onEvent((event) => {
      if (!call.cancelled) call.write(eventToWire(event));
    });
    const done = () => {
      unsubscribe();
      this.eventCalls.delete(call);
    };
    call.on('cancelled', done);
    call.on('close', done);
    call.on('error', done);
  }

  private unary<Req, Res>(method: string, fn: (request: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const started = process.hrtime.bigint();
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (response) => {
            this.logger.debug({ method, durationMs: Number(process.hrtime.bigint() - started) / 1e6 }, 'cri call');
            callback(null, response);
          },
          (error: unknown) => {
            const code = error instanceof CriError ? error.code : grpc.status.INTERNAL;
            const message = error instanceof Error ? error.message : String(error);
            if (code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN) this.logger.error({ method, err: error }, 'cri call failed');
            else this.logger.debug({ method, code, err: message }, 'cri call refused');
            callback({ code, details: message, message, name: 'Error' });
          },
        );
    };
  }

  /** A CRIListStreaming rpc: the whole list in one message, then the end of the stream. */
  private listStream<Req, Res>(method: string, fn: (request: Req) => Res | Promise<Res>): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (response) => {
            call.write(response);
            call.end();
          },
          (error: unknown) => {
            const code = error instanceof CriError ? error.code : grpc.status.INTERNAL;
            const message = error instanceof Error ? error.message : String(error);
            this.logger.debug({ method, code, err: message }, 'cri stream failed');
            call.destroy(Object.assign(new Error(message), { code }));
          },
        );
    };
  }
}

function requireId(id: string, field: string): string {
  if (id === '') throw invalidArgument(`${field} is required`);
  return id;
}

function jsonInfo(values: Record<string, unknown>): Record<string, string> {
  const info: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    info[key] = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return info;
}

function sandboxFilter(filter: runtime.PodSandboxFilter | undefined) {
  return {
    ...(filter?.id ? { id: filter.id } : {}),
    ...(filter?.state ? { state: filter.state.state === runtime.PodSandboxState.SANDBOX_READY ? ('ready' as const) : ('notready' as const) } : {}),
    labels: filter?.labelSelector ?? {},
  };
}

function containerFilter(filter: runtime.ContainerFilter | undefined) {
  return {
    ...(filter?.id ? { id: filter.id } : {}),
    ...(filter?.podSandboxId ? { sandboxId: filter.podSandboxId } : {}),
    ...(filter?.state ? { state: stateFromWire(filter.state.state) } : {}),
    labels: filter?.labelSelector ?? {},
  };
}

function stateFromWire(state: runtime.ContainerState): ContainerState {
  switch (state) {
    case runtime.ContainerState.CONTAINER_CREATED:
      return 'created';
    case runtime.ContainerState.CONTAINER_RUNNING:
      return 'running';
    case runtime.ContainerState.CONTAINER_EXITED:
      return 'exited';
    default:
      return 'unknown';
  }
}

function stateToWire(state: ContainerState): runtime.ContainerState {
  switch (state) {
    case 'created':
      return runtime.ContainerState.CONTAINER_CREATED;
    case 'running':
      return runtime.ContainerState.CONTAINER_RUNNING;
    case 'exited':
      return runtime.ContainerState.CONTAINER_EXITED;
    default:
      return runtime.ContainerState.CONTAINER_UNKNOWN;
  }
}

export function sandboxStatus(s: SandboxRecord): runtime.PodSandboxStatus {
  const [ip = '', ...more] = hostIps();
  return {
    id: s.id,
    metadata: s.metadata,
    state: s.state === 'ready' ? runtime.PodSandboxState.SANDBOX_READY : runtime.PodSandboxState.SANDBOX_NOTREADY,
    createdAt: s.createdAt,
    network: { ip, additionalIps: more.map((a) => ({ ip: a })) },
    linux: { namespaces: { options: { network: NODE, pid: NODE, ipc: NODE, targetId: '', usernsOptions: undefined } } },
    labels: s.labels,
    annotations: s.annotations,
    runtimeHandler: s.runtimeHandler,
  };
}

function sandboxItem(s: SandboxRecord): runtime.PodSandbox {
  const status = sandboxStatus(s);
  return {
    id: s.id,
    metadata: s.metadata,
    state: status.state,
    createdAt: s.createdAt,
    labels: s.labels,
    annotations: s.annotations,
    runtimeHandler: s.runtimeHandler,
  };
}

export function containerStatus(c: ContainerRecord): runtime.ContainerStatus {
  return {
    id: c.id,
    metadata: c.metadata,
    state: stateToWire(c.state),
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: c.imageSpec,
    imageRef: c.imageRef,
    reason: c.state === 'exited' ? c.reason : '',
    message: c.state === 'exited' ? c.message : '',
    labels: c.labels,
    annotations: c.annotations,
    mounts: c.mounts,
    logPath: c.logPath,
    resources: { linux: c.resources, windows: undefined },
    imageId: c.imageId,
    user: { linux: { uid: BigInt(c.user?.uid ?? process.getuid?.() ?? 0), gid: BigInt(c.user?.gid ?? process.getgid?.() ?? 0), supplementalGroups: [] } },
    stopSignal: c.stopSignal,
  };
}

function containerItem(c: ContainerRecord): runtime.Container {
  return {
    id: c.id,
    podSandboxId: c.sandboxId,
    metadata: c.metadata,
    image: c.imageSpec,
    imageRef: c.imageRef,
    state: stateToWire(c.state),
    createdAt: c.createdAt,
    labels: c.labels,
    annotations: c.annotations,
    imageId: c.imageId,
  };
}

function usageToWire(usage: ContainerUsage): { cpu: runtime.CpuUsage | undefined; memory: runtime.MemoryUsage | undefined } {
  const s: CgroupStats = usage.cgroup;
  const value = (v: bigint | undefined) => (v === undefined ? undefined : { value: v });
  const cpu =
    s.cpuUsageNs === undefined
      ? undefined
      : { timestamp: usage.timestamp, usageCoreNanoSeconds: value(s.cpuUsageNs), usageNanoCores: value(usage.nanoCores), psi: undefined };
  const available =
    s.memoryLimitBytes !== undefined && s.memoryWorkingSetBytes !== undefined
      ? s.memoryLimitBytes > s.memoryWorkingSetBytes
        ? s.memoryLimitBytes - s.memoryWorkingSetBytes
        : 0n
      : undefined;
  const memory =
    s.memoryUsageBytes === undefined
      ? undefined
      : {
          timestamp: usage.timestamp,
          workingSetBytes: value(s.memoryWorkingSetBytes),
          availableBytes: value(available),
          usageBytes: value(s.memoryUsageBytes),
          rssBytes: value(s.memoryRssBytes),
          pageFaults: value(s.pageFaults),
          majorPageFaults: value(s.majorPageFaults),
          psi: undefined,
        };
  return { cpu, memory };
}

function containerStats(c: ContainerRecord, usage: ContainerUsage): runtime.ContainerStats {
  const { cpu, memory } = usageToWire(usage);
  return {
    attributes: { id: c.id, metadata: c.metadata, labels: c.labels, annotations: c.annotations },
    cpu,
    memory,
    writableLayer: undefined,
    swap: undefined,
    io: undefined,
  };
}

function imageToWire(image: ResolvedImage): runtime.Image {
  const userPart = image.config.user.split(':')[0] ?? '';
  const numeric = /^\d+$/.test(userPart);
  return {
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    size: BigInt(image.size),
    uid: numeric ? { value: BigInt(userPart) } : undefined,
    username: numeric ? '' : userPart,
    spec: { image: image.id, annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' },
    // Host-mapped images occupy nothing and cannot be garbage collected.
    pinned: image.source === 'host',
  };
}

function eventToWire(event: RuntimeEvent): runtime.ContainerEventResponse {
  const kinds = {
    created: runtime.ContainerEventType.CONTAINER_CREATED_EVENT,
    started: runtime.ContainerEventType.CONTAINER_STARTED_EVENT,
    stopped: runtime.ContainerEventType.CONTAINER_STOPPED_EVENT,
    deleted: runtime.ContainerEventType.CONTAINER_DELETED_EVENT,
  } as const;
  return {
    containerId: event.containerId,
    containerEventType: kinds[event.kind],
    createdAt: event.createdAt,
    podSandboxStatus: event.sandbox ? sandboxStatus(event.sandbox) : undefined,
    containersStatuses: event.containers.map(containerStatus),
  };
}
