/**
 * The kubelet's `cpu_manager_state` file, byte-compatible both ways:
 *
 *   {"policyName":"static","defaultCpuSet":"0-1,4-7","entries":{"<podUID>":{"<container>":"2-3"}},"checksum":1234567}
 *
 * The checksum is the kubelet's: FNV-1a (32 bit) over the Go `%#v` rendering
 * (go-spew, sorted map keys, no methods) of the checkpoint struct with its
 * checksum set to 0, i.e. over
 *
 *   (*state.CPUManagerCheckpoint){PolicyName:(string)static DefaultCPUSet:(string)0-1,4-7
 *     Entries:(map[string]map[string]string)map[<podUID>:map[<container>:2-3]] Checksum:(checksum.Checksum)0}
 *
 * (one line). A checksum of 0 is accepted unchecked, as the kubelet accepts it
 * for files written by its old file backend. Files are read as the kubelet reads
 * them: first as the version 1 format (entries keyed by container ID; an absent
 * "entries" also parses as version 1, whose checksum renders the map type as
 * map[string]string), then as version 2; JSON keys match case-insensitively
 * ("defaultCPUSet" is "defaultCpuSet"), as Go's decoder matches them.
 */
import { CPUSet, CPUSetError, fnv32a, goSortedKeys } from '@kernelet/sdk/common';

/** A checkpoint as it is written: entries keyed by pod UID, then container name. */
export interface CheckpointContent {
  readonly policyName: string;
  readonly defaultCpuSet: string;
  readonly entries: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** A checkpoint read back, its CPU lists parsed. */
export interface RestoredCheckpoint {
  readonly policyName: string;
  readonly defaultCPUSet: CPUSet;
  readonly assignments: ReadonlyMap<string, ReadonlyMap<string, CPUSet>>;
  /** 1 when the file was written in the version 1 format (its entries were empty). */
  readonly version: 1 | 2;
}

/** Why a checkpoint cannot be read: the field (JSON path) and the problem. */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}


function spewStringMap(map: ReadonlyMap<string, string> | null): string {
  if (map === null) return '<nil>';
  return `map[${goSortedKeys(map.keys()).map((k) => `${k}:${map.get(k) as string}`).join(' ')}]`;
}

/** The kubelet's checksum of a version 2 checkpoint (`null` entries render as a nil map). */
export function checksumV2(
  policyName: string,
  defaultCpuSet: string,
  entries: ReadonlyMap<string, ReadonlyMap<string, string> | null> | null,
): number {
  const rendered =
    entries === null
      ? '<nil>'
      : `map[${goSortedKeys(entries.keys()).map((pod) => `${pod}:${spewStringMap(entries.get(pod) ?? null)}`).join(' ')}]`;
  return fnv32a(
    `(*state.CPUManagerCheckpoint){PolicyName:(string)${policyName} DefaultCPUSet:(string)${defaultCpuSet} ` +
      `Entries:(map[string]map[string]string)${rendered} Checksum:(checksum.Checksum)0}`,
  );
}

/** The kubelet's checksum of a version 1 checkpoint (entries keyed by container ID). */
export function checksumV1(policyName: string, defaultCpuSet: string, entries: ReadonlyMap<string, string> | null): number {
  return fnv32a(
    `(*state.CPUManagerCheckpoint){PolicyName:(string)${policyName} DefaultCPUSet:(string)${defaultCpuSet} ` +
      `Entries:(map[string]string)${spewStringMap(entries)} Checksum:(checksum.Checksum)0}`,
  );
}

/** Go's encoding/json escapes these in strings; keeping them makes the bytes identical. */
function goJSONString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The file content the kubelet would write for this checkpoint. */
export function encodeCheckpoint(cp: CheckpointContent): string {
  const checksum = checksumV2(cp.policyName, cp.defaultCpuSet, cp.entries);
  let out = `{"policyName":${goJSONString(cp.policyName)},"defaultCpuSet":${goJSONString(cp.defaultCpuSet)}`;
  if (cp.entries.size > 0) {
    const pods = goSortedKeys(cp.entries.keys()).map((pod) => {
      const containers = cp.entries.get(pod) as ReadonlyMap<string, string>;
      const inner = goSortedKeys(containers.keys()).map((c) => `${goJSONString(c)}:${goJSONString(containers.get(c) as string)}`);
      return `${goJSONString(pod)}:{${inner.join(',')}}`;
    });
    out += `,"entries":{${pods.join(',')}}`;
  }
  return `${out},"checksum":${checksum}}`;
}

/** The three fields as Go's decoder finds them: exact key first, else any case-insensitive match. */
function field(doc: Record<string, unknown>, name: string): { key: string; value: unknown } | undefined {
  if (Object.hasOwn(doc, name)) return { key: name, value: doc[name] };
  const lower = name.toLowerCase();
  let found: { key: string; value: unknown } | undefined;
  for (const [key, value] of Object.entries(doc)) if (key.toLowerCase() === lower) found = { key, value };
  return found;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const q = (s: string): string => JSON.stringify(s);

interface Header {
  policyName: string;
  defaultCpuSet: string;
  checksum: number;
  entriesKey: string;
  rawEntries: unknown;
  hasEntries: boolean;
}

function readHeader(doc: Record<string, unknown>): Header {
  const str = (name: string): string => {
    const f = field(doc, name);
    if (f === undefined || f.value === null) return '';
    if (typeof f.value !== 'string') throw new CheckpointFormatError(f.key, `must be a string, got ${JSON.stringify(f.value)}`);
    return f.value;
  };
  const policyName = str('policyName');
  const defaultCpuSet = str('defaultCpuSet');
  const sum = field(doc, 'checksum');
  let checksum = 0;
  if (sum !== undefined && sum.value !== null) {
    if (typeof sum.value !== 'number' || !Number.isInteger(sum.value) || sum.value < 0 || sum.value > 2 ** 64 - 1) {
      throw new CheckpointFormatError(sum.key, `must be an unsigned integer, got ${JSON.stringify(sum.value)}`);
    }
    checksum = sum.value;
  }
  const entries = field(doc, 'entries');
  return {
    policyName,
    defaultCpuSet,
    checksum,
    entriesKey: entries?.key ?? 'entries',
    rawEntries: entries?.value,
    hasEntries: entries !== undefined,
  };
}

/** Version 1 entries (container ID to CPU list), or undefined when they are not of that shape. */
function readV1Entries(h: Header): Map<string, string> | null | undefined {
  if (!h.hasEntries) return new Map();
  if (h.rawEntries === null) return null;
  if (!isObject(h.rawEntries)) return undefined;
  const out = new Map<string, string>();
  for (const [id, value] of Object.entries(h.rawEntries)) {
    if (value === null) out.set(id, '');
    else if (typeof value === 'string') out.set(id, value);
    else return undefined;
  }
  return out;
}

function readV2Entries(h: Header): Map<string, Map<string, string> | null> | null {
  if (!h.hasEntries) return new Map();
  if (h.rawEntries === null) return null;
  if (!isObject(h.rawEntries)) {
    throw new CheckpointFormatError(h.entriesKey, `must be an object of pod UID to containers, got ${JSON.stringify(h.rawEntries)}`);
  }
  const out = new Map<string, Map<string, string> | null>();
  for (const [pod, containers] of Object.entries(h.rawEntries)) {
    const at = `${h.entriesKey}[${q(pod)}]`;
    if (containers === null) {
      out.set(pod, null);
      continue;
    }
    if (!isObject(containers)) throw new CheckpointFormatError(at, `must be an object of container name to cpu list, got ${JSON.stringify(containers)}`);
    const inner = new Map<string, string>();
    for (const [name, cpus] of Object.entries(containers)) {
      if (cpus === null) inner.set(name, '');
      else if (typeof cpus === 'string') inner.set(name, cpus);
      else throw new CheckpointFormatError(`${at}[${q(name)}]`, `must be a cpu list string, got ${JSON.stringify(cpus)}`);
    }
    out.set(pod, inner);
  }
  return out;
}

function parseCPUs(at: string, text: string): CPUSet {
  try {
    return CPUSet.parse(text);
  } catch (err) {
    throw new CheckpointFormatError(at, `invalid cpu list ${q(text)}: ${err instanceof CPUSetError ? err.message : String(err)}`);
  }
}

/**
 * Reads a checkpoint as the kubelet does. Throws CheckpointFormatError naming the
 * field for JSON that is truncated or malformed, a wrong checksum, values of the
 * wrong type and CPU lists that do not parse.
 */
export function decodeCheckpoint(text: string): RestoredCheckpoint {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const detail = text.trim() === '' ? 'the file is empty' : `not valid JSON, the file is truncated or corrupt (${(err as Error).message})`;
    throw new CheckpointFormatError('(file)', detail);
  }
  if (!isObject(doc)) throw new CheckpointFormatError('(file)', `must be a JSON object, got ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)}`);
  const h = readHeader(doc);

  let version: 1 | 2 = 2;
  let entries: Map<string, Map<string, string> | null> | null;
  const v1 = readV1Entries(h);
  if (v1 !== undefined && (h.checksum === 0 || h.checksum === checksumV1(h.policyName, h.defaultCpuSet, v1))) {
    if (v1 !== null && v1.size > 0) {
      throw new CheckpointFormatError(
        h.entriesKey,
        `holds version 1 entries keyed by container ID (${[...v1.keys()].map(q).join(', ')}), which cannot be mapped to pods without the container runtime`,
      );
    }
    version = 1;
    entries = new Map();
  } else {
    entries = readV2Entries(h);
    if (h.checksum !== 0) {
      const actual = checksumV2(h.policyName, h.defaultCpuSet, entries);
      if (actual !== h.checksum) {
        throw new CheckpointFormatError('checksum', `${h.checksum} does not match the content (its checksum is ${actual}): the file is corrupt or was edited`);
      }
    }
  }

  const defaultCPUSet = parseCPUs('defaultCpuSet', h.defaultCpuSet);
  const assignments = new Map<string, Map<string, CPUSet>>();
  for (const [pod, containers] of entries ?? []) {
    const parsed = new Map<string, CPUSet>();
    for (const [name, cpus] of containers ?? []) parsed.set(name, parseCPUs(`${h.entriesKey}[${q(pod)}][${q(name)}]`, cpus));
    assignments.set(pod, parsed);
  }
  return { policyName: h.policyName, defaultCPUSet, assignments, version };
}
