import { printTable, type Bench } from './bench.js';

/** Every benchmark; add one by adding its module here. Pass names to run a subset. */
const benches: readonly (() => Promise<{ bench: Bench }>)[] = [
  () => import('./plugin-round-trip.bench.js'),
  () => import('./cpu-allocation.bench.js'),
  () => import('./topology-merge.bench.js'),
  () => import('./admission.bench.js'),
  () => import('./pods.bench.js'),
];

const only = process.argv.slice(2);
for (const load of benches) {
  const { bench } = await load();
  if (only.length > 0 && !only.some((o) => bench.name.includes(o))) continue;
  printTable(bench.name, await bench.run());
}
