import { runtime } from '@kernelet/proto';

export type SandboxState = 'ready' | 'notready';
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** A pod sandbox: for a host-process runtime, a record, a log directory and a cgroup parent. */
export interface SandboxRecord {
  id: string;
  /** The reserved name: k8s_POD_<name>_<namespace>_<uid>_<attempt>. */
  name: string;
  metadata: runtime.PodSandboxMetadata;
  state: SandboxState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logDirectory: string;
  /** Relative to each cgroup hierarchy root. */
  cgroupParent: string;
  /** Ancestors of container cgroups this runtime created for the sandbox, removed with it. */
  createdCgroupDirs: string[];
  runtimeHandler: string;
  /** What the config asked for that a host-process runtime cannot give (all pods share the host). */
  ignored: string[];
}

/** A bind mount the runtime sets up in the container's mount namespace. */
export interface BindMount {
  source: string;
  /** The host path of the mount point inside the rootfs. */
  target: string;
  readonly: boolean;
}

/** A container and, once started, its process. */
export interface ContainerRecord {
  id: string;
  sandboxId: string;
  /** The reserved name: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>. */
  name: string;
  metadata: runtime.ContainerMetadata;
  /** As requested, with `image` set to the image's name (the agent passes its id). */
  imageSpec: runtime.ImageSpec;
  imageId: string;
  /** The image's repo digest when it has one, else its id (CRI image_ref). */
  imageRef: string;
  /** "/" for the host root, else the image's rootfs directory. */
  rootfs: string;
  argv: string[];
  /** KEY=value. */
  env: string[];
  workingDir: string;
  user: { uid: number; gid: number } | undefined;
  /** As requested (reported in ContainerStatus). */
  mounts: runtime.Mount[];
  bindMounts: BindMount[];
  readonlyRootfs: boolean;
  /** Absolute; "" when the output is discarded. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  resources: runtime.LinuxContainerResources;
  stopSignal: runtime.Signal;
  /** Relative cgroup path, or "" when no controller is available. */
  cgroup: string;
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
  /** The process (leader of its own process group) while running. */
  pid: number;
  /** /proc/<pid>/stat start time and boot id: recognise the process after a runtime restart. */
  pidStartTime: string;
  bootId: string;
}

// JSON forms: bigints as decimal strings, protobuf messages in their JSON mapping.

export function sandboxToJson(r: SandboxRecord): unknown {
  return {
    ...r,
    metadata: runtime.PodSandboxMetadata.toJSON(r.metadata),
    createdAt: r.createdAt.toString(),
  };
}

export function sandboxFromJson(value: unknown): SandboxRecord {
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || typeof v['name'] !== 'string') throw new Error('sandbox record lacks id or name');
  return {
    id: v['id'],
    name: v['name'],
    metadata: runtime.PodSandboxMetadata.fromJSON(v['metadata']),
    state: v['state'] === 'ready' ? 'ready' : 'notready',
    createdAt: BigInt(String(v['createdAt'] ?? '0')),
    labels: stringMap(v['labels']),
    annotations: stringMap(v['annotations']),
    logDirectory: String(v['logDirectory'] ?? ''),
    cgroupParent: String(v['cgroupParent'] ?? ''),
    createdCgroupDirs: stringList(v['createdCgroupDirs']),
    runtimeHandler: String(v['runtimeHandler'] ?? ''),
    ignored: stringList(v['ignored']),
  };
}

export function containerToJson(r: ContainerRecord): unknown {
  return {
    ...r,
    metadata: runtime.ContainerMetadata.toJSON(r.metadata),
    imageSpec: runtime.ImageSpec.toJSON(r.imageSpec),
    mounts: r.mounts.map((m) => runtime.Mount.toJSON(m)),
    resources: runtime.LinuxContainerResources.toJSON(r.resources),
    stopSignal: runtime.signalToJSON(r.stopSignal),
    createdAt: r.createdAt.toString(),
    startedAt: r.startedAt.toString(),
    finishedAt: r.finishedAt.toString(),
  };
}

export function containerFromJson(value: unknown): ContainerRecord {
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || typeof v['sandboxId'] !== 'string') throw new Error('container record lacks id or sandboxId');
  const state = v['state'];
  const user = v['user'] as { uid?: unknown; gid?: unknown } | undefined;
  return {
    id: v['id'],
    sandboxId: v['sandboxId'],
    name: String(v['name'] ?? ''),
    metadata: runtime.ContainerMetadata.fromJSON(v['metadata']),
    imageSpec: runtime.ImageSpec.fromJSON(v['imageSpec']),
    imageId: String(v['imageId'] ?? ''),
    imageRef: String(v['imageRef'] ?? v['imageId'] ?? ''),
    rootfs: String(v['rootfs'] ?? '/'),
    argv: stringList(v['argv']),
    env: stringList(v['env']),
    workingDir: String(v['workingDir'] ?? '/'),
    user: user && typeof user.uid === 'number' && typeof user.gid === 'number' ? { uid: user.uid, gid: user.gid } : undefined,
    mounts: Array.isArray(v['mounts']) ? v['mounts'].map((m) => runtime.Mount.fromJSON(m)) : [],
    bindMounts: Array.isArray(v['bindMounts']) ? (v['bindMounts'] as BindMount[]) : [],
    readonlyRootfs: v['readonlyRootfs'] === true,
    logPath: String(v['logPath'] ?? ''),
    labels: stringMap(v['labels']),
    annotations: stringMap(v['annotations']),
    resources: runtime.LinuxContainerResources.fromJSON(v['resources'] ?? {}),
    stopSignal: runtime.signalFromJSON(v['stopSignal'] ?? 'RUNTIME_DEFAULT'),
    cgroup: String(v['cgroup'] ?? ''),
    state: state === 'created' || state === 'running' || state === 'exited' ? state : 'unknown',
    createdAt: BigInt(String(v['createdAt'] ?? '0')),
    startedAt: BigInt(String(v['startedAt'] ?? '0')),
    finishedAt: BigInt(String(v['finishedAt'] ?? '0')),
    exitCode: Number(v['exitCode'] ?? 0),
    reason: String(v['reason'] ?? ''),
    message: String(v['message'] ?? ''),
    pid: Number(v['pid'] ?? 0),
    pidStartTime: String(v['pidStartTime'] ?? ''),
    bootId: String(v['bootId'] ?? ''),
  };
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}
