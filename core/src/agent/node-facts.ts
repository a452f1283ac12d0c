import type { MachineInfo } from '@kernelet/sdk/common';

/** The node's name: --hostname-override, else the host name, lower-cased (as upstream). */
export const NodeName = Symbol('NodeName');

/** The machine topology the agent runs on (from /sys or --machine-info-file); null when unknown. */
export const Machine = Symbol('Machine');
export type Machine = MachineInfo | null;
