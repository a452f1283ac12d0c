/** One measured figure of a benchmark, printed as a table row by `npm run bench`. */
export interface BenchRow {
  metric: string;
  value: number | string;
  unit: string;
  /** The goal, in words, e.g. "<= 0.3 ms". */
  target?: string;
}

export interface Bench {
  /** Which issue area it measures, e.g. "plugin round trip". */
  name: string;
  run(): Promise<BenchRow[]>;
}

export function printTable(name: string, rows: readonly BenchRow[], out: NodeJS.WritableStream = process.stdout): void {
  const header = ['metric', 'value', 'unit', 'target'];
  const cells = rows.map((r) => [r.metric, typeof r.value === 'number' ? formatNumber(r.value) : r.value, r.unit, r.target ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |\n`;
  out.write(`\n## ${name}\n\n`);
  out.write(line(header));
  out.write(line(widths.map((w) => '-'.repeat(w))));
  for (const c of cells) out.write(line(c));
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4);
}

/** Percentile (0-100) of samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
