/** Loads the shared machine topologies and this package's table cases (tests only). */
import { readFileSync } from 'node:fs';
import { parseMachineInfo, type Container, type MachineInfo, type Pod } from '@kernelet/sdk/common';
import { CPUTopology } from './topology/cpu-topology.js';

const topologiesDir = new URL('../../../test/fixtures/topologies/', import.meta.url);
const casesDir = new URL('../fixtures/', import.meta.url);

export function loadMachine(name: string): MachineInfo {
  const url = new URL(`${name}.json`, topologiesDir);
  return parseMachineInfo(JSON.parse(readFileSync(url, 'utf8')), url.pathname);
}

export function loadTopology(name: string): CPUTopology {
  return CPUTopology.fromMachine(loadMachine(name));
}

export function loadCases<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`${file}.json`, casesDir), 'utf8')) as T;
}

/** A container spec in the tables: name, then cpu request and limit ("2", "1500m"); memory follows cpu. */
export interface ContainerCase {
  name: string;
  cpu: string;
  limit?: string;
  restartPolicy?: 'Always';
}

export interface PodCase {
  uid: string;
  init?: ContainerCase[];
  containers: ContainerCase[];
}

function container(c: ContainerCase): Container {
  const limit = c.limit ?? c.cpu;
  return {
    name: c.name,
    ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    resources: { requests: { cpu: c.cpu, memory: '1G' }, limits: { cpu: limit, memory: '1G' } },
  };
}

export function makePod(p: PodCase): Pod {
  return {
    metadata: { name: `pod-${p.uid}`, namespace: 'default', uid: p.uid },
    spec: { containers: p.containers.map(container), ...(p.init ? { initContainers: p.init.map(container) } : {}) },
  };
}
