import { readFileSync } from 'node:fs';
import type { MachineJSON } from './fake-sysfs.js';

/** The shared machine fixtures in test/fixtures/topologies. */
export const TOPOLOGY_FIXTURES = ['dual-socket-ht', 'single-socket-ht', 'no-ht', '8-numa', '16-numa', '64-numa'] as const;

export function topologyFixturePath(name: string): string {
  return new URL(`../../../../test/fixtures/topologies/${name}.json`, import.meta.url).pathname;
}

export function readTopologyFixture(name: string): MachineJSON {
  return JSON.parse(readFileSync(topologyFixturePath(name), 'utf8')) as MachineJSON;
}
