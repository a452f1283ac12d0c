import type { runtime } from '@kernelet/proto';

/**
 * The CRI RuntimeService calls the agent makes (upstream internalapi.RuntimeService), in
 * domain terms: requests are built from partial messages, "not found" on stop/remove is
 * success, and every call has a deadline. Errors are CriError.
 */
export interface RuntimeService {
  version(): Promise<runtime.VersionResponse>;
  status(): Promise<runtime.StatusResponse>;

  runPodSandbox(config: runtime.PodSandboxConfig, runtimeHandler: string): Promise<string>;
  /** Idempotent: a sandbox already gone is stopped. */
  stopPodSandbox(podSandboxId: string): Promise<void>;
  /** Idempotent: a sandbox already gone is removed. */
  removePodSandbox(podSandboxId: string): Promise<void>;
  /** undefined when the runtime does not know the sandbox. */
  podSandboxStatus(podSandboxId: string): Promise<runtime.PodSandboxStatus | undefined>;
  listPodSandbox(filter?: Partial<runtime.PodSandboxFilter>): Promise<runtime.PodSandbox[]>;

  createContainer(podSandboxId: string, config: runtime.ContainerConfig, sandboxConfig: runtime.PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Waits up to timeoutSeconds for the container to exit on its stop signal, then kills it. Idempotent. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  /** Idempotent. */
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: Partial<runtime.ContainerFilter>): Promise<runtime.Container[]>;
  /** undefined when the runtime does not know the container. */
  containerStatus(containerId: string): Promise<runtime.ContainerStatus | undefined>;
  execSync(containerId: string, cmd: readonly string[], timeoutSeconds: number): Promise<runtime.ExecSyncResponse>;
  reopenContainerLog(containerId: string): Promise<void>;
  /** Changes a running container's Linux resources; fields left empty are not changed (as the kubelet's cpuset updates rely on). */
  updateContainerResources(containerId: string, linux: Partial<runtime.LinuxContainerResources>): Promise<void>;

  /** The runtime's container event stream (evented PLEG). onEnd gets the error that ended it, if any. */
  getContainerEvents(onEvent: (event: runtime.ContainerEventResponse) => void, onEnd: (error?: Error) => void): { close(): void };
}
export const RuntimeService = Symbol('RuntimeService');

/** The CRI ImageService calls the agent makes (upstream internalapi.ImageManagerService). */
export interface ImageService {
  /** undefined when the image is not present. */
  imageStatus(image: runtime.ImageSpec): Promise<runtime.Image | undefined>;
  /** Returns the image reference (ID) of the pulled image. */
  pullImage(image: runtime.ImageSpec, sandboxConfig?: runtime.PodSandboxConfig): Promise<string>;
  listImages(): Promise<runtime.Image[]>;
}
export const ImageService = Symbol('ImageService');
