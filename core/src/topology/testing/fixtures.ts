import { readFileSync } from 'node:fs';
import type { NUMAMask, ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import { maskOf } from '@kernelet/sdk/common';
import { parseDistancesDocument, parseHintsDocument } from '../hints-document.js';
import { NUMAInfo } from '../numa-info.js';

/** A machine in fixtures: node ids and, optionally, distance rows in node order (the CLI's distances file). */
export interface FixtureMachine {
  numaNodes: number[];
  distances?: Record<string, number[]>;
}

/** A hint in fixtures: "all" stands for every node of the machine under test. */
export interface FixtureHint {
  numaAffinity: number[] | null | 'all';
  preferred: boolean;
}

export interface MergeCase {
  name: string;
  hints: Record<string, unknown>;
  expect: FixtureHint;
}

export interface MergeFixture {
  models: string;
  machine?: FixtureMachine;
  options?: Record<string, string>;
  cases: MergeCase[];
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export function numaOf(machine: FixtureMachine): NUMAInfo {
  const distances = machine.distances ? parseDistancesDocument(machine.distances, 'fixture', machine.numaNodes) : new Map();
  return new NUMAInfo(machine.numaNodes, distances);
}

export function providerHintsOf(hints: Record<string, unknown>, numa: NUMAInfo): ProviderHints[] {
  return parseHintsDocument(hints, 'fixture', numa.nodes).hints;
}

/** Parses a fixture hint without validation (fixtures may hold empty masks). */
export function hintOf(raw: FixtureHint, numa?: NUMAInfo): TopologyHint {
  let numaAffinity: NUMAMask | null;
  if (raw.numaAffinity === 'all') {
    if (numa === undefined) throw new Error('"all" needs a machine');
    numaAffinity = numa.defaultMask;
  } else numaAffinity = raw.numaAffinity === null ? null : maskOf(raw.numaAffinity);
  return { numaAffinity, preferred: raw.preferred };
}

export const FOUR_NODES: FixtureMachine = {
  numaNodes: [0, 1, 2, 3],
  distances: { '0': [10, 11, 12, 12], '1': [11, 10, 12, 12], '2': [12, 12, 10, 11], '3': [12, 12, 11, 10] },
};
