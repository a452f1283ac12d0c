/**
 * The state file, `<stateDir>/memory_manager_state`, in the upstream kubelet's JSON
 * shape, byte for byte as the kubelet writes it:
 *
 *   {"policyName":"Static",
 *    "machineState":{"0":{"numberOfAssignments":2,
 *                         "memoryMap":{"hugepages-1Gi":{"total":…,"systemReserved":…,"allocatable":…,"reserved":…,"free":…},
 *                                      "memory":{…}},
 *                         "cells":[0]}},
 *    "entries":{"<podUID>":{"<container>":[{"numaAffinity":[0],"type":"memory","size":1073741824}]}},
 *    "checksum":4215593881}
 *
 * Sizes are integers in bytes; `entries` is left out when empty; map keys are sorted
 * as strings (so "10" comes before "2"); the checksum is the one in checksum.ts. The
 * text is rendered by checkpoint-renderer.ts.
 * Writes go to a temporary file in the same directory, are synced, and renamed over
 * the state file, so a crash leaves the old file or the new one, never half of one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@kernelet/sdk';

import { CheckpointRenderer, type CheckpointContent } from './checkpoint-renderer.js';
import { checkpointChecksum } from './checksum.js';
import { StateFileError, StateWriteError } from './errors.js';
import type { Block, ContainerMemoryAssignments, MemoryTable, NUMANodeMap, NUMANodeState } from './memory-state.js';

export const STATE_FILE_NAME = 'memory_manager_state';

export interface Checkpoint {
  policyName: string;
  machineState: NUMANodeMap;
  entries: ContainerMemoryAssignments;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const TABLE_FIELDS = ['total', 'systemReserved', 'allocatable', 'reserved', 'free'] as const;

/** Decodes and verifies a state file's text; throws StateFileError naming the field at fault. */
export function parseCheckpoint(text: string, file: string): Checkpoint {
  if (text.trim() === '') throw new StateFileError(file, '', 'the file is empty (truncated?)');
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(file, '', `not valid JSON, the file is corrupt or truncated (${(err as Error).message})`, { cause: err });
  }
  if (!isObject(doc)) throw new StateFileError(file, '', `must be a JSON object, got ${describe(doc)}`);
  const at = (field: string, problem: string): never => {
    throw new StateFileError(file, field, problem);
  };

  const policyName = doc['policyName'] ?? '';
  if (typeof policyName !== 'string') at('policyName', `must be a string, got ${describe(policyName)}`);

  const machineState: NUMANodeMap = new Map();
  for (const [key, raw] of objectEntries(doc['machineState'], 'machineState', at)) {
    const field = `machineState[${JSON.stringify(key)}]`;
    const id = nodeId(key, field, at);
    if (!isObject(raw)) return at(field, `must be an object, got ${describe(raw)}`);
    const memoryMap = new Map<string, MemoryTable>();
    for (const [type, table] of objectEntries(raw['memoryMap'], `${field}.memoryMap`, at)) {
      const tableField = `${field}.memoryMap[${JSON.stringify(type)}]`;
      if (!isObject(table)) return at(tableField, `must be an object, got ${describe(table)}`);
      const values = TABLE_FIELDS.map((f) => uint(table[f] ?? 0, `${tableField}.${f}`, at));
      const [total, systemReserved, allocatable, reserved, free] = values as [number, number, number, number, number];
      memoryMap.set(type, { total, systemReserved, allocatable, reserved, free });
    }
    const node: NUMANodeState = {
      numberOfAssignments: uint(raw['numberOfAssignments'] ?? 0, `${field}.numberOfAssignments`, at),
      memoryMap,
      cells: ints(raw['cells'] ?? [], `${field}.cells`, at),
    };
    machineState.set(id, node);
  }

  const entries: ContainerMemoryAssignments = new Map();
  // Found while decoding, reported once the checksum holds (a corrupt file is reported as such).
  const unplaced: string[] = [];
  for (const [podUID, containers] of objectEntries(doc['entries'], 'entries', at)) {
    const podField = `entries[${JSON.stringify(podUID)}]`;
    const pod = new Map<string, Block[]>();
    for (const [containerName, blocks] of objectEntries(containers, podField, at)) {
      const containerField = `${podField}[${JSON.stringify(containerName)}]`;
      if (blocks !== null && !Array.isArray(blocks)) at(containerField, `must be a list of blocks, got ${describe(blocks)}`);
      pod.set(
        containerName,
        ((blocks ?? []) as Json[]).map((b, i) => {
          const field = `${containerField}[${i}]`;
          if (!isObject(b)) return at(field, `must be an object, got ${describe(b)}`);
          const numaAffinity = ints(b['numaAffinity'] ?? [], `${field}.numaAffinity`, at);
          if (numaAffinity.length === 0) unplaced.push(`${field}.numaAffinity`);
          const type = b['type'];
          if (typeof type !== 'string' || type === '') return at(`${field}.type`, `must be a memory type, got ${describe(type)}`);
          return { numaAffinity, type, size: uint(b['size'] ?? 0, `${field}.size`, at) };
        }),
      );
    }
    entries.set(podUID, pod);
  }

  const checksum = doc['checksum'] ?? 0;
  const expected = checkpointChecksum(doc);
  if (checksum !== expected) {
    at('checksum', `${describe(checksum)} does not match the content (${expected}): the file is corrupt or was edited`);
  }
  if (unplaced[0] !== undefined) at(unplaced[0], 'must name at least one NUMA node');
  return { policyName: policyName as string, machineState, entries };
}

/** The file's text for a checkpoint, exactly as the upstream kubelet would write it. */
export function serializeCheckpoint(checkpoint: CheckpointContent): string {
  return new CheckpointRenderer().render(checkpoint);
}

/** Reads and writes the state file. */
export class CheckpointState {
  readonly file: string;
  /** Keeps what it rendered for the last write, so the next renders only what changed. */
  private readonly renderer = new CheckpointRenderer();

  constructor(stateDir: string) {
    this.file = join(stateDir, STATE_FILE_NAME);
  }

  /** The checkpoint, or undefined when there is no file yet. */
  read(): Checkpoint | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateFileError(this.file, '', `cannot be read: ${(err as Error).message}`, { cause: err });
    }
    return parseCheckpoint(text, this.file);
  }

  /** Replaces the file atomically; throws StateWriteError. */
  write(checkpoint: CheckpointContent): void {
    try {
      writeFileAtomic(this.file, this.renderer.render(checkpoint));
    } catch (err) {
      throw new StateWriteError(this.file, { cause: err });
    }
  }
}

function objectEntries(value: Json, field: string, at: (field: string, problem: string) => never): [string, Json][] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) return at(field, `must be an object, got ${describe(value)}`);
  return Object.entries(value);
}

function nodeId(key: string, field: string, at: (field: string, problem: string) => never): number {
  if (!/^(0|[1-9]\d{0,4})$/.test(key)) return at(field, `key ${JSON.stringify(key)} is not a NUMA node id`);
  return Number(key);
}

function uint(value: Json, field: string, at: (field: string, problem: string) => never): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    return at(field, `must be a non-negative integer, got ${describe(value)}`);
  }
  if (!Number.isSafeInteger(value)) return at(field, `${value} is too large`);
  return value;
}

function ints(value: Json, field: string, at: (field: string, problem: string) => never): number[] {
  if (!Array.isArray(value)) return at(field, `must be a list of NUMA node ids, got ${describe(value)}`);
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1 << 16) {
      return at(`${field}[${i}]`, `must be a NUMA node id, got ${describe(v)}`);
    }
    return v;
  });
}

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
