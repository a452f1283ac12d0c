/**
 * The text of `memory_manager_state` (see checkpoint-state.ts) with its checksum, both
 * rendered straight from the state, and kept per NUMA node and per pod between writes.
 *
 * The file is rewritten after every allocation and release. On a machine with many NUMA
 * nodes most of it is the machine state, of which one operation changes a node or two,
 * and the plugin host runs V8 without its optimizing compilers, where building the text
 * (twice: the JSON, and go-spew's rendering the checksum hashes) dominated the write. So
 * each node's and each pod's part of both texts is kept with the values it was rendered
 * from; a render compares those values, renders again only the parts whose values
 * changed, and joins the parts.
 *
 * The texts are the ones checksum.ts describes, for a checkpoint as the kubelet decodes
 * its own file: every table, list and map present, `entries` the empty map when there
 * are none. Keys are in the kubelet's order: JSON object keys as strings, bytewise (node
 * "10" before "2"); go-spew's map keys numerically for node ids, bytewise for names.
 */
import { compareGoStrings, fnv32a } from '@kernelet/sdk/common';

import type { MemoryTable, MemoryType, ReadonlyBlock, ReadonlyContainerMemoryAssignments, ReadonlyNUMANodeMap, ReadonlyNUMANodeState } from './memory-state.js';

/** What is written: the live state will do, nothing is changed or kept. */
export interface CheckpointContent {
  readonly policyName: string;
  readonly machineState: ReadonlyNUMANodeMap;
  readonly entries: ReadonlyContainerMemoryAssignments;
}

/** A node's parts of both texts, and the values they were rendered from. */
interface RenderedNode {
  numberOfAssignments: number;
  cells: number[];
  /** Memory types, bytewise sorted, and per type its total, systemReserved, allocatable, reserved and free. */
  types: MemoryType[];
  values: number[];
  /** `"<id>":{...}` */
  json: string;
  /** `<id>:<*>{...}` */
  spew: string;
  /** The render that last saw the node. */
  seen: number;
}

/** A pod's parts of both texts, and the blocks they were rendered from. */
interface RenderedPod {
  /** Container names, bytewise sorted, and copies of their blocks in the same order. */
  names: string[];
  blocks: ReadonlyBlock[][];
  /** `"<uid>":{...}` */
  json: string;
  /** `<uid>:map[...]` */
  spew: string;
  seen: number;
}

export class CheckpointRenderer {
  private readonly nodes = new Map<number, RenderedNode>();
  /** Node ids in JSON key order and in go-spew's (numeric) order. */
  private nodeIdsForJson: number[] = [];
  private nodeIdsForSpew: number[] = [];
  private readonly pods = new Map<string, RenderedPod>();
  /** Pod UIDs in Go string order (the same in both texts). */
  private podUIDs: string[] = [];
  private renders = 0;

  /** The file's text: the checkpoint as JSON, with the checksum of its go-spew rendering. */
  render(checkpoint: CheckpointContent): string {
    const pass = ++this.renders;
    this.renderNodes(checkpoint.machineState, pass);
    this.renderPods(checkpoint.entries, pass);

    const nodesJson: string[] = [];
    const nodesSpew: string[] = [];
    for (const id of this.nodeIdsForJson) nodesJson.push((this.nodes.get(id) as RenderedNode).json);
    for (const id of this.nodeIdsForSpew) nodesSpew.push((this.nodes.get(id) as RenderedNode).spew);
    const podsJson: string[] = [];
    const podsSpew: string[] = [];
    for (const uid of this.podUIDs) {
      const pod = this.pods.get(uid) as RenderedPod;
      podsJson.push(pod.json);
      podsSpew.push(pod.spew);
    }

    const checksum = fnv32a(
      `(*state.MemoryManagerCheckpoint){PolicyName:(string)${checkpoint.policyName}` +
        ` MachineState:(state.NUMANodeMap)map[${nodesSpew.join(' ')}]` +
        ` Entries:(state.ContainerMemoryAssignments)map[${podsSpew.join(' ')}]` +
        ' Checksum:(checksum.Checksum)0}',
    );
    const entries = podsJson.length > 0 ? `,"entries":{${podsJson.join(',')}}` : '';
    return `{"policyName":${goString(checkpoint.policyName)},"machineState":{${nodesJson.join(',')}}${entries},"checksum":${checksum}}`;
  }

  private renderNodes(machineState: ReadonlyNUMANodeMap, pass: number): void {
    let idsChanged = false;
    machineState.forEach((node, id) => {
      const rendered = this.nodes.get(id);
      if (rendered === undefined) idsChanged = true;
      else if (sameNode(rendered, node)) {
        rendered.seen = pass;
        return;
      }
      this.nodes.set(id, renderNode(id, node, pass));
    });
    if (this.nodes.size !== machineState.size) {
      idsChanged = true;
      for (const [id, rendered] of this.nodes) if (rendered.seen !== pass) this.nodes.delete(id);
    }
    if (!idsChanged) return;
    const ids = [...this.nodes.keys()];
    this.nodeIdsForSpew = [...ids].sort((a, b) => a - b);
    this.nodeIdsForJson = ids.sort((a, b) => compareGoStrings(String(a), String(b)));
  }

  private renderPods(entries: ReadonlyContainerMemoryAssignments, pass: number): void {
    const added: string[] = [];
    entries.forEach((containers, uid) => {
      const rendered = this.pods.get(uid);
      if (rendered === undefined) added.push(uid);
      else if (samePod(rendered, containers)) {
        rendered.seen = pass;
        return;
      }
      this.pods.set(uid, renderPod(uid, containers, pass));
    });
    if (this.pods.size !== entries.size) {
      for (const [uid, rendered] of this.pods) if (rendered.seen !== pass) this.pods.delete(uid);
      this.podUIDs = this.podUIDs.filter((uid) => this.pods.has(uid));
    }
    // A new pod goes after the pods that sort equal to it, as a stable sort of the map would place it.
    for (const uid of added) this.podUIDs.splice(upperBound(this.podUIDs, uid), 0, uid);
  }
}

function sameNode(rendered: RenderedNode, node: ReadonlyNUMANodeState): boolean {
  if (rendered.numberOfAssignments !== node.numberOfAssignments) return false;
  if (!sameNumbers(rendered.cells, node.cells)) return false;
  if (rendered.types.length !== node.memoryMap.size) return false;
  const values = rendered.values;
  for (let i = 0; i < rendered.types.length; i++) {
    const table = node.memoryMap.get(rendered.types[i] as MemoryType);
    const v = i * 5;
    if (
      table === undefined ||
      table.total !== values[v] ||
      table.systemReserved !== values[v + 1] ||
      table.allocatable !== values[v + 2] ||
      table.reserved !== values[v + 3] ||
      table.free !== values[v + 4]
    ) {
      return false;
    }
  }
  return true;
}

function renderNode(id: number, node: ReadonlyNUMANodeState, pass: number): RenderedNode {
  const types = [...node.memoryMap.keys()].sort(compareGoStrings);
  const values: number[] = [];
  const tablesJson: string[] = [];
  const tablesSpew: string[] = [];
  for (const type of types) {
    const t = node.memoryMap.get(type) as Readonly<MemoryTable>;
    values.push(t.total, t.systemReserved, t.allocatable, t.reserved, t.free);
    tablesJson.push(
      `${goString(type)}:{"total":${t.total},"systemReserved":${t.systemReserved},"allocatable":${t.allocatable},"reserved":${t.reserved},"free":${t.free}}`,
    );
    tablesSpew.push(
      `${type}:<*>{TotalMemSize:(uint64)${t.total} SystemReserved:(uint64)${t.systemReserved}` +
        ` Allocatable:(uint64)${t.allocatable} Reserved:(uint64)${t.reserved} Free:(uint64)${t.free}}`,
    );
  }
  const n = node.numberOfAssignments;
  return {
    numberOfAssignments: n,
    cells: [...node.cells],
    types,
    values,
    json: `${goString(String(id))}:{"numberOfAssignments":${n},"memoryMap":{${tablesJson.join(',')}},"cells":[${node.cells.join(',')}]}`,
    spew:
      `${id}:<*>{NumberOfAssignments:(int)${n} MemoryMap:(map[v1.ResourceName]*state.MemoryTable)map[${tablesSpew.join(' ')}]` +
      ` Cells:([]int)[${node.cells.join(' ')}]}`,
    seen: pass,
  };
}

function samePod(rendered: RenderedPod, containers: ReadonlyMap<string, readonly ReadonlyBlock[]>): boolean {
  if (rendered.names.length !== containers.size) return false;
  for (let i = 0; i < rendered.names.length; i++) {
    const blocks = containers.get(rendered.names[i] as string);
    const was = rendered.blocks[i] as ReadonlyBlock[];
    if (blocks === undefined || blocks.length !== was.length) return false;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b] as ReadonlyBlock;
      const old = was[b] as ReadonlyBlock;
      if (block.size !== old.size || block.type !== old.type || !sameNumbers(block.numaAffinity, old.numaAffinity)) return false;
    }
  }
  return true;
}

function renderPod(uid: string, containers: ReadonlyMap<string, readonly ReadonlyBlock[]>, pass: number): RenderedPod {
  const names = [...containers.keys()].sort(compareGoStrings);
  const blocks: ReadonlyBlock[][] = [];
  const containersJson: string[] = [];
  const containersSpew: string[] = [];
  for (const name of names) {
    const list = (containers.get(name) as readonly ReadonlyBlock[]).map((b) => ({ numaAffinity: [...b.numaAffinity], type: b.type, size: b.size }));
    blocks.push(list);
    const json = list.map((b) => `{"numaAffinity":[${b.numaAffinity.join(',')}],"type":${goString(b.type)},"size":${b.size}}`);
    const spew = list.map((b) => `{NUMAAffinity:([]int)[${b.numaAffinity.join(' ')}] Type:(v1.ResourceName)${b.type} Size:(uint64)${b.size}}`);
    containersJson.push(`${goString(name)}:[${json.join(',')}]`);
    containersSpew.push(`${name}:[${spew.join(' ')}]`);
  }
  return {
    names,
    blocks,
    json: `${goString(uid)}:{${containersJson.join(',')}}`,
    spew: `${uid}:map[${containersSpew.join(' ')}]`,
    seen: pass,
  };
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where a key goes in a list in Go string order: after every key not greater than it. */
function upperBound(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareGoStrings(sorted[mid] as string, key) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A JSON string as encoding/json writes it (HTML-safe). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
