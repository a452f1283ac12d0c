import type { NUMAMask, ProviderHints, ResourceHints, TopologyHint } from '@kernelet/sdk/common';
import { maskIds } from '@kernelet/sdk/common';

/**
 * The JSON forms `kernelet topology merge` reads and writes:
 *
 *   hints:     {"<provider>": {"<resource>": [{"numaAffinity": [0,1] | null, "preferred": true}, ...] | null} | null}
 *   distances: {"<node id>": [distance to each node, in --numa-nodes order]}
 *   result:    {"bestHint": {"numaAffinity": [...] | null, "preferred": bool}, "admit": bool}
 *
 * In hints, an empty list means the resource cannot be placed; a null list, a
 * missing resource, a provider with no resources or a null provider means no
 * preference (a provider answering nil, to upstream). A null numaAffinity is any node;
 * an empty one is a mask of no node, as upstream would carry it: it merges to
 * nothing, so it never wins.
 */
export class HintsDocumentError extends Error {
  override readonly name = 'HintsDocumentError';
  constructor(
    readonly source: string,
    readonly field: string,
    message: string,
  ) {
    super(`${source}: ${field === '' ? '' : `${field}: `}${message}`);
  }
}

export interface ParsedHints {
  /** Provider names, in document order. */
  providers: string[];
  hints: ProviderHints[];
}

/** Validates a hints document against the machine's NUMA node ids. */
export function parseHintsDocument(input: unknown, source: string, numaNodes: readonly number[]): ParsedHints {
  const known = new Set(numaNodes);
  if (!isObject(input)) throw new HintsDocumentError(source, '', `must be an object of providers, got ${describe(input)}`);
  const providers: string[] = [];
  const hints: ProviderHints[] = [];
  for (const [provider, rawResources] of Object.entries(input)) {
    const at = jsonPath([provider]);
    if (rawResources === null) {
      providers.push(provider);
      hints.push(new Map());
      continue;
    }
    if (!isObject(rawResources)) throw new HintsDocumentError(source, at, `must be an object of resources or null, got ${describe(rawResources)}`);
    const resources = new Map<string, ResourceHints>();
    for (const [resource, rawList] of Object.entries(rawResources)) {
      const listAt = jsonPath([provider, resource]);
      if (rawList === null) {
        resources.set(resource, null);
        continue;
      }
      if (!Array.isArray(rawList)) throw new HintsDocumentError(source, listAt, `must be a list of hints or null, got ${describe(rawList)}`);
      resources.set(
        resource,
        rawList.map((raw, i) => parseHint(raw, source, `${listAt}[${i}]`, known)),
      );
    }
    providers.push(provider);
    hints.push(resources);
  }
  return { providers, hints };
}

function parseHint(raw: unknown, source: string, at: string, known: ReadonlySet<number>): TopologyHint {
  if (!isObject(raw)) throw new HintsDocumentError(source, at, `must be an object {"numaAffinity": [...] | null, "preferred": bool}, got ${describe(raw)}`);
  for (const key of Object.keys(raw)) {
    if (key !== 'numaAffinity' && key !== 'preferred') throw new HintsDocumentError(source, `${at}.${key}`, 'unknown field (want numaAffinity, preferred)');
  }
  const preferred = raw['preferred'];
  if (typeof preferred !== 'boolean') throw new HintsDocumentError(source, `${at}.preferred`, `must be true or false, got ${describe(preferred)}`);
  const affinity = raw['numaAffinity'];
  if (affinity === null) return { numaAffinity: null, preferred };
  if (!Array.isArray(affinity)) throw new HintsDocumentError(source, `${at}.numaAffinity`, `must be a list of NUMA node ids or null, got ${describe(affinity)}`);
  let mask: NUMAMask = 0n;
  affinity.forEach((id: unknown, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new HintsDocumentError(source, `${at}.numaAffinity[${i}]`, `must be a NUMA node id, got ${describe(id)}`);
    if (!known.has(id))
      throw new HintsDocumentError(source, `${at}.numaAffinity[${i}]`, `NUMA node ${id} is not one of the machine's nodes (${[...known].join(',')})`);
    mask |= 1n << BigInt(id);
  });
  return { numaAffinity: mask, preferred };
}

/**
 * Validates a distances document: one row per NUMA node, each listing the distance to
 * every node in numaNodes order. Returns distances by node id.
 */
export function parseDistancesDocument(input: unknown, source: string, numaNodes: readonly number[]): Map<number, Map<number, number>> {
  if (!isObject(input)) throw new HintsDocumentError(source, '', `must be an object of NUMA node id to a list of distances, got ${describe(input)}`);
  const rows = new Map<number, Map<number, number>>();
  for (const [key, rawRow] of Object.entries(input)) {
    const at = jsonPath([key]);
    const from = Number(key);
    if (!/^\d+$/.test(key) || !numaNodes.includes(from))
      throw new HintsDocumentError(source, at, `"${key}" is not one of the NUMA nodes (${numaNodes.join(',')})`);
    if (!Array.isArray(rawRow)) throw new HintsDocumentError(source, at, `must be a list of ${numaNodes.length} distances, got ${describe(rawRow)}`);
    if (rawRow.length !== numaNodes.length)
      throw new HintsDocumentError(source, at, `has ${rawRow.length} distances, want ${numaNodes.length} (one per NUMA node, in --numa-nodes order)`);
    const row = new Map<number, number>();
    rawRow.forEach((d: unknown, i) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)
        throw new HintsDocumentError(source, `${at}[${i}]`, `must be a positive integer distance, got ${describe(d)}`);
      row.set(numaNodes[i] as number, d);
    });
    rows.set(from, row);
  }
  const missing = numaNodes.filter((id) => !rows.has(id));
  if (missing.length > 0) throw new HintsDocumentError(source, '', `no distances for NUMA node${missing.length > 1 ? 's' : ''} ${missing.join(',')}`);
  return rows;
}

/** The JSON form of a hint: node ids ascending, or null for any node. */
export function hintToJSON(hint: TopologyHint): { numaAffinity: number[] | null; preferred: boolean } {
  return { numaAffinity: hint.numaAffinity === null ? null : maskIds(hint.numaAffinity), preferred: hint.preferred };
}

function jsonPath(keys: readonly string[]): string {
  return keys.map((k) => (/^[\w.\-/]+$/.test(k) ? `[${k}]` : `[${JSON.stringify(k)}]`)).join('');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
