/**
 * The state file's text rendered the plain way, for tests to hold checkpoint-renderer.ts
 * against: the checkpoint turned into the document the kubelet decodes, rendered by
 * checksum.ts's go-spew renderer and hashed byte by byte, and the JSON built from
 * sorted maps. Slow, and obviously right.
 */
import { renderCheckpoint } from './checksum.js';
import type { CheckpointContent } from './checkpoint-renderer.js';

type JsonObject = Record<string, unknown>;

export function referenceSerializeCheckpoint(checkpoint: CheckpointContent): string {
  const checksum = referenceFnv32a(renderCheckpoint(checkpointDocument(checkpoint)));
  const machineState = sortedMap(checkpoint.machineState, String, (node) => {
    const memoryMap = sortedMap(node.memoryMap, (type) => type, (t) =>
      `{"total":${t.total},"systemReserved":${t.systemReserved},"allocatable":${t.allocatable},"reserved":${t.reserved},"free":${t.free}}`,
    );
    return `{"numberOfAssignments":${node.numberOfAssignments},"memoryMap":${memoryMap},"cells":[${node.cells.join(',')}]}`;
  });
  const entries = sortedMap(checkpoint.entries, (uid) => uid, (pod) =>
    sortedMap(pod, (name) => name, (blocks) =>
      `[${blocks.map((b) => `{"numaAffinity":[${b.numaAffinity.join(',')}],"type":${goString(b.type)},"size":${b.size}}`).join(',')}]`,
    ),
  );
  const entriesField = checkpoint.entries.size > 0 ? `,"entries":${entries}` : '';
  return `{"policyName":${goString(checkpoint.policyName)},"machineState":${machineState}${entriesField},"checksum":${checksum}}`;
}

/** The checkpoint as the kubelet decodes it, for the checksum. */
function checkpointDocument(checkpoint: CheckpointContent): JsonObject {
  const machineState: JsonObject = {};
  for (const [id, node] of checkpoint.machineState) {
    machineState[String(id)] = {
      numberOfAssignments: node.numberOfAssignments,
      memoryMap: Object.fromEntries([...node.memoryMap].map(([type, t]) => [type, { ...t }])),
      cells: node.cells,
    };
  }
  const entries: JsonObject = {};
  for (const [podUID, containers] of checkpoint.entries) {
    entries[podUID] = Object.fromEntries([...containers].map(([name, blocks]) => [name, blocks.map((b) => ({ ...b }))]));
  }
  return { policyName: checkpoint.policyName, machineState, entries };
}

/** A Go map as encoding/json writes it: keys as strings, sorted bytewise. */
function sortedMap<K, V>(map: ReadonlyMap<K, V>, key: (k: K) => string, value: (v: V) => string): string {
  const entries = [...map].map(([k, v]) => [key(k), v] as const);
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${entries.map(([k, v]) => `${goString(k)}:${value(v)}`).join(',')}}`;
}

/** A JSON string as encoding/json writes it (HTML-safe). */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** FNV-1a 32 as defined, over Node's UTF-8 encoding of the text. */
function referenceFnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash >>> 0;
}
