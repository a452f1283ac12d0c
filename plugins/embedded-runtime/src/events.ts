import type { ContainerRecord, SandboxRecord } from './records.js';

export type ContainerEventKind = 'created' | 'started' | 'stopped' | 'deleted';

/**
 * A change of a container or sandbox, with snapshots taken when it happened: the
 * sandbox and the statuses of all its containers, as CRI's GetContainerEvents sends.
 * Sandbox events carry the sandbox id as containerId (as containerd does).
 */
export interface RuntimeEvent {
  kind: ContainerEventKind;
  containerId: string;
  createdAt: bigint;
  sandbox: SandboxRecord | undefined;
  containers: ContainerRecord[];
}

export type RuntimeEventListener = (event: RuntimeEvent) => void;
