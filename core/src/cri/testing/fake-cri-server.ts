// A CRI server for tests: a real gRPC server on a unix socket, answering from fields the test
// sets. Methods it does not implement answer UNIMPLEMENTED, as a real runtime without them does.
import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { bindUnixSocket } from '@kernelet/proto/transport';

export interface FakeCriOptions {
  socketPath: string;
  /** Serve RuntimeService.GetContainerEvents (containerd 1.6 does not). */
  events?: boolean;
}

type UnaryHandler = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

export class FakeCriServer {
  /** What Version answers as runtimeApiVersion. */
  runtimeApiVersion = 'v1';
  /** The version field of each Version request received. */
  readonly versionRequests: string[] = [];
  /** The deadline (ms since the epoch, or undefined) of the last call of each method, "RuntimeService/Status". */
  readonly deadlines = new Map<string, number | undefined>();
  /** Methods that never answer ("RuntimeService/Status"): their callers meet their deadline. */
  readonly hang = new Set<string>();
  /** Methods that fail at once with this status. */
  readonly fail = new Map<string, { code: grpc.status; details: string }>();
  sandboxes: runtime.PodSandbox[] = [];
  containers: runtime.Container[] = [];
  private readonly hanging: grpc.sendUnaryData<unknown>[] = [];
  private readonly streams = new Set<grpc.ServerWritableStream<runtime.GetEventsRequest, runtime.ContainerEventResponse>>();

  private constructor(
    private readonly server: grpc.Server,
    readonly socketPath: string,
  ) {}

  get endpoint(): string {
    return `unix://${this.socketPath}`;
  }

  static async start(options: FakeCriOptions): Promise<FakeCriServer> {
    const server = new grpc.Server();
    const fake = new FakeCriServer(server, options.socketPath);
    const runtimeHandlers: Record<string, UnaryHandler | grpc.handleServerStreamingCall<runtime.GetEventsRequest, runtime.ContainerEventResponse>> = {
      version: fake.unary('RuntimeService/Version', (request: runtime.VersionRequest) => {
        fake.versionRequests.push(request.version);
        return runtime.VersionResponse.fromPartial({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1.2.3', runtimeApiVersion: fake.runtimeApiVersion });
      }),
      status: fake.unary('RuntimeService/Status', () =>
        runtime.StatusResponse.fromPartial({ status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] } }),
      ),
      listPodSandbox: fake.unary('RuntimeService/ListPodSandbox', (request: runtime.ListPodSandboxRequest) =>
        runtime.ListPodSandboxResponse.fromPartial({ items: fake.sandboxes.filter((s) => matchesLabels(s.labels, request.filter?.labelSelector)) }),
      ),
      listContainers: fake.unary('RuntimeService/ListContainers', (request: runtime.ListContainersRequest) =>
        runtime.ListContainersResponse.fromPartial({ containers: fake.containers.filter((c) => matchesLabels(c.labels, request.filter?.labelSelector)) }),
      ),
      containerStatus: fake.unary('RuntimeService/ContainerStatus', (request: runtime.ContainerStatusRequest) => {
        const c = fake.containers.find((x) => x.id === request.containerId);
        if (!c) throw Object.assign(new Error(`container ${request.containerId} not found`), { code: grpc.status.NOT_FOUND });
        return runtime.ContainerStatusResponse.fromPartial({
          status: { id: c.id, metadata: c.metadata, state: c.state, createdAt: c.createdAt, image: c.image, imageRef: c.imageRef, labels: c.labels, annotations: c.annotations },
        });
      }),
    };
    if (options.events) {
      runtimeHandlers['getContainerEvents'] = (call: grpc.ServerWritableStream<runtime.GetEventsRequest, runtime.ContainerEventResponse>) => {
        fake.streams.add(call);
        call.on('cancelled', () => fake.streams.delete(call));
      };
    }
    server.addService(runtime.RuntimeServiceService, runtimeHandlers as unknown as grpc.UntypedServiceImplementation);
    server.addService(runtime.ImageServiceService, {
      imageStatus: fake.unary('ImageService/ImageStatus', () => runtime.ImageStatusResponse.fromPartial({})),
      pullImage: fake.unary('ImageService/PullImage', (request: runtime.PullImageRequest) => runtime.PullImageResponse.fromPartial({ imageRef: `sha256:${request.image?.image ?? ''}` })),
    } as unknown as grpc.UntypedServiceImplementation);
    await bindUnixSocket(server, options.socketPath);
    return fake;
  }

  /** Sends a container event to every open GetContainerEvents stream. */
  emitEvent(event: Partial<runtime.ContainerEventResponse>): void {
    const message = runtime.ContainerEventResponse.fromPartial(event);
    for (const stream of this.streams) stream.write(message);
  }

  /** Ends every open GetContainerEvents stream, as a runtime that restarts does. */
  endEventStreams(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  /** Whether a GetContainerEvents stream is open. */
  get eventStreams(): number {
    return this.streams.size;
  }

  async stop(): Promise<void> {
    for (const callback of this.hanging.splice(0)) callback({ code: grpc.status.UNAVAILABLE, details: 'server stopping' });
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    this.server.forceShutdown();
  }

  private unary<Req>(method: string, answer: (request: Req) => unknown): UnaryHandler {
    return (call, callback) => {
      const deadline = call.getDeadline();
      this.deadlines.set(method, deadline === Infinity ? undefined : deadline instanceof Date ? deadline.getTime() : deadline);
      const failure = this.fail.get(method);
      if (failure) return callback(failure);
      if (this.hang.has(method)) {
        this.hanging.push(callback);
        return;
      }
      try {
        callback(null, answer(call.request as Req));
      } catch (error) {
        callback({ code: (error as { code?: grpc.status }).code ?? grpc.status.UNKNOWN, details: (error as Error).message });
      }
    };
  }
}
