/**
 * Reading the table fixtures (plugins/memory-manager/fixtures/*.json) and the shared
 * machine topologies (test/fixtures/topologies/mem-*.json), in a compact notation:
 *
 *   machine state node:  {"cells": [0], "assignments": 2, "memory": [total, systemReserved, allocatable, reserved, free], "hugepages-1Gi": [...]}
 *   block:               ["memory", [0, 1], "1Gi"]         (type, NUMA nodes, size)
 *   container:           {"name": "c", "requests": {...}, "limits": {...}, "restartPolicy": "Always"}   (limits default to requests)
 *   hint:                "[0,1] preferred" or "[2]"
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { Quantity, maskIds, maskOf, parseMachineInfo, type MachineInfo, type Pod, type ProviderHints, type TopologyHint } from '@kernelet/sdk/common';
import { pino, type Logger } from 'pino';

import type { Block, ContainerMemoryAssignments, MemoryTable, NUMANodeMap, ReadonlyContainerMemoryAssignments, ReadonlyNUMANodeMap } from './state/memory-state.js';

const here = new URL('.', import.meta.url);

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, here), 'utf8')) as T;
}

export function loadMachine(name: string): MachineInfo {
  const file = new URL(`../../../test/fixtures/topologies/${name}.json`, here);
  return parseMachineInfo(JSON.parse(readFileSync(file, 'utf8')), file.pathname);
}

export function bytes(quantity: string): number {
  return Number(Quantity.parse(quantity).value());
}

function human(n: number): string {
  return Quantity.fromValue(n, 'BinarySI').toString();
}

export type CompactTable = [string, string, string, string, string];
export interface CompactNode {
  cells: number[];
  assignments?: number;
  [type: string]: CompactTable | number[] | number | undefined;
}
export type CompactMachineState = Record<string, CompactNode>;
export type CompactBlock = [string, number[], string];
export type CompactAssignments = Record<string, Record<string, CompactBlock[]>>;

export function toMachineState(compact: CompactMachineState): NUMANodeMap {
  const state: NUMANodeMap = new Map();
  for (const [id, node] of Object.entries(compact)) {
    const memoryMap = new Map<string, MemoryTable>();
    for (const [key, value] of Object.entries(node)) {
      if (key === 'cells' || key === 'assignments') continue;
      const [total, systemReserved, allocatable, reserved, free] = (value as CompactTable).map(bytes) as [number, number, number, number, number];
      memoryMap.set(key, { total, systemReserved, allocatable, reserved, free });
    }
    state.set(Number(id), { numberOfAssignments: node.assignments ?? 0, memoryMap, cells: node.cells });
  }
  return state;
}

/** The compact form, for readable comparisons (types sorted, sizes in binary units). */
export function fromMachineState(state: ReadonlyNUMANodeMap): CompactMachineState {
  const compact: CompactMachineState = {};
  for (const id of [...state.keys()].sort((a, b) => a - b)) {
    const node = state.get(id);
    if (!node) continue;
    const entry: CompactNode = { cells: [...node.cells].sort((a, b) => a - b), assignments: node.numberOfAssignments };
    for (const [type, t] of [...node.memoryMap].sort(([a], [b]) => (a < b ? -1 : 1))) {
      entry[type] = [t.total, t.systemReserved, t.allocatable, t.reserved, t.free].map(human) as CompactTable;
    }
    compact[String(id)] = entry;
  }
  return compact;
}

export function toAssignments(compact: CompactAssignments = {}): ContainerMemoryAssignments {
  return new Map(
    Object.entries(compact).map(([pod, containers]) => [
      pod,
      new Map(Object.entries(containers).map(([c, blocks]) => [c, blocks.map(([type, numaAffinity, size]): Block => ({ type, numaAffinity, size: bytes(size) }))])),
    ]),
  );
}

/** The compact form; blocks sorted by type, since their order carries no meaning. */
export function fromAssignments(assignments: ReadonlyContainerMemoryAssignments): CompactAssignments {
  const compact: CompactAssignments = {};
  for (const [pod, containers] of assignments) {
    compact[pod] = {};
    for (const [c, blocks] of containers) {
      compact[pod][c] = blocks
        .map((b): CompactBlock => [b.type, [...b.numaAffinity], human(b.size)])
        .sort(([a], [b]) => (a < b ? -1 : 1));
    }
  }
  return compact;
}

export function sortedCompact(compact: CompactAssignments = {}): CompactAssignments {
  return fromAssignments(toAssignments(compact));
}

export interface CompactContainer {
  name: string;
  requests: Record<string, string>;
  limits?: Record<string, string>;
  restartPolicy?: string;
}

export interface CompactPod {
  uid: string;
  containers: CompactContainer[];
  initContainers?: CompactContainer[];
}

export function toPod(compact: CompactPod): Pod {
  const container = (c: CompactContainer) => ({
    name: c.name,
    image: 'registry.k8s.io/pause:3.10',
    resources: { requests: c.requests, limits: c.limits ?? c.requests },
    ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
  });
  return {
    metadata: { name: `pod-${compact.uid}`, namespace: 'default', uid: compact.uid },
    spec: { containers: compact.containers.map(container), ...(compact.initContainers ? { initContainers: compact.initContainers.map(container) } : {}) },
  };
}

/** "[0,1] preferred" / "[2]"; `null` nodes is any NUMA node. */
export function toHint(text: string | null): TopologyHint {
  if (text === null) return { numaAffinity: null, preferred: false };
  if (text === 'any preferred') return { numaAffinity: null, preferred: true };
  const m = /^\[([\d,]+)\]( preferred)?$/.exec(text);
  if (!m?.[1]) throw new Error(`bad hint ${text}`);
  return { numaAffinity: maskOf(m[1].split(',').map(Number)), preferred: m[2] !== undefined };
}

export function fromHints(hints: ProviderHints): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [type, list] of [...hints].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[type] = (list ?? []).map((h) => `${h.numaAffinity === null ? 'any' : `[${maskIds(h.numaAffinity).join(',')}]`}${h.preferred ? ' preferred' : ''}`);
  }
  return out;
}

export const quietLogger: Logger = pino({ level: 'silent' });

/** A logger that keeps every record, for tests that check what was logged. */
export function capturingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'memory-manager-'));
}
