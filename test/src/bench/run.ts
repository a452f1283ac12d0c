import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '@kernelet/sdk/testing';
import { printTable, type Bench } from './bench.js';

/** Every benchmark; add one by adding its module here. Pass names to run a subset. */
const benches: readonly (() => Promise<{ bench: Bench }>)[] = [
  () => import('./plugin-round-trip.bench.js'),
  () => import('./cpu-allocation.bench.js'),
  () => import('./topology-merge.bench.js'),
  () => import('./admission.bench.js'),
  () => import('./pods.bench.js'),
];

// The benches run the agent's code in this process (admission, topology merge) and the
// plugins' (CPU allocation): measure it under the V8 flags the kernelet bin and the plugin
// host run with, not node's defaults, which tune the JIT and the heap differently.
if (!AGENT_NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  const run = spawnSync(process.execPath, [...AGENT_NODE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const only = process.argv.slice(2);
for (const load of benches) {
  const { bench } = await load();
  if (only.length > 0 && !only.some((o) => bench.name.includes(o))) continue;
  printTable(bench.name, await bench.run());
}
