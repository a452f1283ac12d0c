import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';

type Unary<Req, Res> = grpc.MethodDefinition<Req, Res>;

/** A small CRI client for tests: what the runtime has, asked directly. */
export class CriClient {
  private readonly client: grpc.Client;

  constructor(endpoint: string) {
    this.client = new grpc.Client(endpoint.replace(/^unix:\/\//, 'unix://'), grpc.credentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 });
  }

  call<Req, Res>(method: Unary<Req, Res>, request: Req, timeoutMs = 10_000): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) =>
        error || response === undefined ? reject(error ?? new Error('empty response')) : resolve(response),
      );
    });
  }

  async containers(labels: Record<string, string> = {}): Promise<runtime.Container[]> {
    const r = await this.call(runtime.RuntimeServiceService.listContainers, runtime.ListContainersRequest.fromPartial({ filter: { labelSelector: labels } }));
    return r.containers;
  }

  async sandboxes(labels: Record<string, string> = {}): Promise<runtime.PodSandbox[]> {
    const r = await this.call(runtime.RuntimeServiceService.listPodSandbox, runtime.ListPodSandboxRequest.fromPartial({ filter: { labelSelector: labels } }));
    return r.items;
  }

  async containerStatus(id: string): Promise<runtime.ContainerStatus | undefined> {
    return (await this.call(runtime.RuntimeServiceService.containerStatus, runtime.ContainerStatusRequest.fromPartial({ containerId: id }))).status;
  }

  async version(timeoutMs = 2000): Promise<runtime.VersionResponse> {
    return this.call(runtime.RuntimeServiceService.version, runtime.VersionRequest.fromPartial({ version: '0.1.0' }), timeoutMs);
  }

  /** Stops and removes every sandbox (and its containers) carrying these labels. */
  async removeAll(labels: Record<string, string> = {}): Promise<void> {
    for (const c of await this.containers(labels)) {
      await this.call(runtime.RuntimeServiceService.stopContainer, runtime.StopContainerRequest.fromPartial({ containerId: c.id, timeout: 0n })).catch(() => undefined);
      await this.call(runtime.RuntimeServiceService.removeContainer, runtime.RemoveContainerRequest.fromPartial({ containerId: c.id })).catch(() => undefined);
    }
    for (const s of await this.sandboxes(labels)) {
      await this.call(runtime.RuntimeServiceService.stopPodSandbox, runtime.StopPodSandboxRequest.fromPartial({ podSandboxId: s.id })).catch(() => undefined);
      await this.call(runtime.RuntimeServiceService.removePodSandbox, runtime.RemovePodSandboxRequest.fromPartial({ podSandboxId: s.id })).catch(() => undefined);
    }
  }

  close(): void {
    this.client.close();
  }
}
