/**
 * The checksum the kubelet stores in `memory_manager_state`, so the file stays
 * interchangeable with the upstream kubelet's.
 *
 * Upstream hashes the Go value of the checkpoint (checksum field set to 0) with
 * 32-bit FNV-1a over go-spew's `%#v` rendering, configured with sorted map keys and
 * methods disabled. That rendering is reproduced here for exactly the checkpoint's
 * types, from the JSON as the kubelet would decode it:
 *
 *   (*state.MemoryManagerCheckpoint){PolicyName:(string)Static MachineState:(state.NUMANodeMap)map[0:<*>{...}] ...}
 *
 * Go decoding rules that show in the rendering: a JSON null (or, for slices and the
 * tables, a missing key) is a nil value, printed `<nil>`; a missing `machineState`
 * or `entries` is the empty map the kubelet pre-allocates, printed `map[]`; int map
 * keys sort numerically, string keys bytewise.
 */

import { fnv32a } from '@kernelet/sdk/common';

type Json = unknown;


/** The checksum of a decoded checkpoint document (its own `checksum` field is ignored). */
export function checkpointChecksum(doc: Readonly<Record<string, Json>>): number {
  return fnv32a(renderCheckpoint(doc));
}

/** go-spew's `%#v` of the checkpoint with a zero checksum; exported for tests. */
export function renderCheckpoint(doc: Readonly<Record<string, Json>>): string {
  const policy = typeof doc['policyName'] === 'string' ? doc['policyName'] : '';
  const machine = 'machineState' in doc ? doc['machineState'] : {};
  const entries = 'entries' in doc ? doc['entries'] : {};
  return (
    `(*state.MemoryManagerCheckpoint){PolicyName:(string)${policy}` +
    ` MachineState:(state.NUMANodeMap)${renderMap(machine, 'int', renderNodeState)}` +
    ` Entries:(state.ContainerMemoryAssignments)${renderMap(entries, 'string', (pod) => renderMap(pod, 'string', renderBlocks))}` +
    ` Checksum:(checksum.Checksum)0}`
  );
}

function renderNodeState(node: Json): string {
  if (!isObject(node)) return '<nil>';
  return (
    `<*>{NumberOfAssignments:(int)${num(node['numberOfAssignments'])}` +
    ` MemoryMap:(map[v1.ResourceName]*state.MemoryTable)${renderMap(node['memoryMap'], 'string', renderTable)}` +
    ` Cells:([]int)${renderInts(node['cells'])}}`
  );
}

function renderTable(table: Json): string {
  if (!isObject(table)) return '<nil>';
  return (
    `<*>{TotalMemSize:(uint64)${num(table['total'])} SystemReserved:(uint64)${num(table['systemReserved'])}` +
    ` Allocatable:(uint64)${num(table['allocatable'])} Reserved:(uint64)${num(table['reserved'])}` +
    ` Free:(uint64)${num(table['free'])}}`
  );
}

function renderBlocks(blocks: Json): string {
  if (!Array.isArray(blocks)) return '<nil>';
  const rendered = blocks.map((b: Json) => {
    const block = isObject(b) ? b : {};
    const type = typeof block['type'] === 'string' ? block['type'] : '';
    return `{NUMAAffinity:([]int)${renderInts(block['numaAffinity'])} Type:(v1.ResourceName)${type} Size:(uint64)${num(block['size'])}}`;
  });
  return `[${rendered.join(' ')}]`;
}

function renderInts(list: Json): string {
  if (!Array.isArray(list)) return '<nil>';
  return `[${list.map(num).join(' ')}]`;
}

function renderMap(map: Json, keys: 'int' | 'string', value: (v: Json) => string): string {
  if (!isObject(map)) return '<nil>';
  const entries = Object.entries(map);
  if (keys === 'int') entries.sort(([a], [b]) => Number(a) - Number(b));
  else entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `map[${entries.map(([k, v]) => `${keys === 'int' ? Number(k) : k}:${value(v)}`).join(' ')}]`;
}

function num(v: Json): string {
  return typeof v === 'number' ? String(v) : '0';
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
