import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import type { Logger } from '../logging/logger.js';
import { CriError, isNotFound } from './cri-error.js';
import type { CriMetrics } from './cri-metrics.js';
import type { ImageService, RuntimeService } from './runtime-service.js';
import { unixSocketPath } from './runtime-endpoint.js';

/** Upstream's limit on CRI messages (pkg/kubelet/cri/remote: maxMsgSize). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Pulls can take long on a slow registry; they still get a deadline. */
const PULL_DEADLINE_MS = 30 * 60_000;

interface Codec<T> {
  fromPartial(object: never): T;
}

export interface GrpcCriClientOptions {
  endpoint: string;
  /** runtimeRequestTimeout: the deadline of every call unless it needs longer. */
  requestTimeoutMs: number;
  logger: Logger;
  metrics?: CriMetrics;
}

/**
 * One gRPC channel to a CRI endpoint over a unix socket. The channel reconnects on its own
 * (quickly: the runtime may be restarted under us) and a call made while the runtime is down
 * fails at once with UNAVAILABLE rather than waiting.
 */
export class GrpcCriConnection {
  private readonly client: grpc.Client;
  readonly target: string;

  constructor(private readonly options: GrpcCriClientOptions) {
    this.target = `unix://${unixSocketPath(options.endpoint)}`;
    this.client = new grpc.Client(this.target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.enable_retries': 0,
    });
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  unary<Req, Res>(method: grpc.MethodDefinition<Req, Res>, codec: Codec<Req>, request: Partial<Req>, timeoutMs = this.options.requestTimeoutMs): Promise<Res> {
    const name = operationName(method.path);
    const started = performance.now();
    const message = codec.fromPartial(request as never);
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, message, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        const durationMs = performance.now() - started;
        const metrics = this.options.metrics;
        metrics?.operations.inc({ operation_type: name.operation });
        metrics?.duration.observe({ operation_type: name.operation }, durationMs / 1000);
        if (error || response === undefined) {
          metrics?.errors.inc({ operation_type: name.operation });
          const code = error?.code ?? grpc.status.INTERNAL;
          reject(new CriError(name.full, code, error ? error.details || error.message : 'empty response', durationMs, { cause: error }));
          return;
        }
        resolve(response);
      });
    });
  }

  serverStream<Req, Res>(method: grpc.MethodDefinition<Req, Res>, codec: Codec<Req>, request: Partial<Req>): grpc.ClientReadableStream<Res> {
    return this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, codec.fromPartial(request as never), new grpc.Metadata(), {});
  }

  close(): void {
    this.client.close();
  }
}

/** "/runtime.v1.RuntimeService/RunPodSandbox" -> operation "run_podsandbox"-like name and "RuntimeService.RunPodSandbox". */
function operationName(path: string): { full: string; operation: string } {
  const [, qualified = '', method = ''] = path.split('/');
  const service = qualified.slice(qualified.lastIndexOf('.') + 1);
  return { full: `${service}.${method}`, operation: method.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() };
}

const R = runtime.RuntimeServiceService;
const I = runtime.ImageServiceService;

/** RuntimeService over gRPC. */
export class GrpcRuntimeService implements RuntimeService {
  constructor(private readonly connection: GrpcCriConnection) {}

  version(): Promise<runtime.VersionResponse> {
    // The kubelet announces the (historical) kube runtime API version 0.1.0.
    return this.connection.unary(R.version, runtime.VersionRequest, { version: '0.1.0' });
  }

  status(): Promise<runtime.StatusResponse> {
    return this.connection.unary(R.status, runtime.StatusRequest, { verbose: false });
  }

  async runPodSandbox(config: runtime.PodSandboxConfig, runtimeHandler: string): Promise<string> {
    const response = await this.connection.unary(R.runPodSandbox, runtime.RunPodSandboxRequest, { config, runtimeHandler });
    if (!response.podSandboxId) throw new CriError('RuntimeService.RunPodSandbox', grpc.status.INTERNAL, 'the runtime returned an empty sandbox id', 0);
    return response.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await ignoreNotFound(this.connection.unary(R.stopPodSandbox, runtime.StopPodSandboxRequest, { podSandboxId }));
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await ignoreNotFound(this.connection.unary(R.removePodSandbox, runtime.RemovePodSandboxRequest, { podSandboxId }));
  }

  async podSandboxStatus(podSandboxId: string): Promise<runtime.PodSandboxStatus | undefined> {
    try {
      return (await this.connection.unary(R.podSandboxStatus, runtime.PodSandboxStatusRequest, { podSandboxId, verbose: false })).status;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async listPodSandbox(filter?: Partial<runtime.PodSandboxFilter>): Promise<runtime.PodSandbox[]> {
    return (await this.connection.unary(R.listPodSandbox, runtime.ListPodSandboxRequest, filter ? { filter: runtime.PodSandboxFilter.fromPartial(filter) } : {})).items;
  }

  async createContainer(podSandboxId: string, config: runtime.ContainerConfig, sandboxConfig: runtime.PodSandboxConfig): Promise<string> {
    const response = await this.connection.unary(R.createContainer, runtime.CreateContainerRequest, { podSandboxId, config, sandboxConfig });
    if (!response.containerId) throw new CriError('RuntimeService.CreateContainer', grpc.status.INTERNAL, 'the runtime returned an empty container id', 0);
    return response.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.connection.unary(R.startContainer, runtime.StartContainerRequest, { containerId });
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    // The call lasts as long as the grace period, plus the usual deadline (as upstream).
    const deadline = this.connection.requestTimeoutMs + Math.max(0, timeoutSeconds) * 1000;
    await ignoreNotFound(this.connection.unary(R.stopContainer, runtime.StopContainerRequest, { containerId, timeout: BigInt(Math.max(0, Math.round(timeoutSeconds))) }, deadline));
  }

  async removeContainer(containerId: string): Promise<void> {
    await ignoreNotFound(this.connection.unary(R.removeContainer, runtime.RemoveContainerRequest, { containerId }));
  }

  async listContainers(filter?: Partial<runtime.ContainerFilter>): Promise<runtime.Container[]> {
    return (await this.connection.unary(R.listContainers, runtime.ListContainersRequest, filter ? { filter: runtime.ContainerFilter.fromPartial(filter) } : {})).containers;
  }

  async containerStatus(containerId: string): Promise<runtime.ContainerStatus | undefined> {
    try {
      return (await this.connection.unary(R.containerStatus, runtime.ContainerStatusRequest, { containerId, verbose: false })).status;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  execSync(containerId: string, cmd: readonly string[], timeoutSeconds: number): Promise<runtime.ExecSyncResponse> {
    const deadline = this.connection.requestTimeoutMs + Math.max(0, timeoutSeconds) * 1000;
    return this.connection.unary(R.execSync, runtime.ExecSyncRequest, { containerId, cmd: [...cmd], timeout: BigInt(Math.max(0, Math.round(timeoutSeconds))) }, deadline);
  }

  async reopenContainerLog(containerId: string): Promise<void> {
    await this.connection.unary(R.reopenContainerLog, runtime.ReopenContainerLogRequest, { containerId });
  }

  async updateContainerResources(containerId: string, linux: Partial<runtime.LinuxContainerResources>): Promise<void> {
    await this.connection.unary(R.updateContainerResources, runtime.UpdateContainerResourcesRequest, { containerId, linux: runtime.LinuxContainerResources.fromPartial(linux) });
  }

  getContainerEvents(onEvent: (event: runtime.ContainerEventResponse) => void, onEnd: (error?: Error) => void): { close(): void } {
    const stream = this.connection.serverStream(R.getContainerEvents, runtime.GetEventsRequest, {});
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on('data', (event: runtime.ContainerEventResponse) => onEvent(event));
    stream.on('error', (error: grpc.ServiceError) => {
      end(error.code === grpc.status.CANCELLED ? undefined : new CriError('RuntimeService.GetContainerEvents', error.code, error.details || error.message, 0, { cause: error }));
    });
    stream.on('end', () => end());
    return {
      close: () => {
        ended = true;
        stream.cancel();
      },
    };
  }
}

/** ImageService over gRPC. */
export class GrpcImageService implements ImageService {
  constructor(private readonly connection: GrpcCriConnection) {}

  async imageStatus(image: runtime.ImageSpec): Promise<runtime.Image | undefined> {
    const response = await this.connection.unary(I.imageStatus, runtime.ImageStatusRequest, { image, verbose: false });
    return response.image && response.image.id !== '' ? response.image : undefined;
  }

  async pullImage(image: runtime.ImageSpec, sandboxConfig?: runtime.PodSandboxConfig): Promise<string> {
    const response = await this.connection.unary(I.pullImage, runtime.PullImageRequest, sandboxConfig ? { image, sandboxConfig } : { image }, Math.max(PULL_DEADLINE_MS, this.connection.requestTimeoutMs));
    return response.imageRef;
  }

  async listImages(): Promise<runtime.Image[]> {
    return (await this.connection.unary(I.listImages, runtime.ListImagesRequest, {})).images;
  }
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
