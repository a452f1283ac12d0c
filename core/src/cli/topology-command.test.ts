import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from './commands.js';
import { createMachineCommand } from './machine-command.js';
import { createTopologyCommand } from './topology-command.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

class Capture extends Writable {
  text = '';
  override _write(chunk: unknown, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

/** Runs `kernelet <argv>` through the command list, file paths taken from the repository root. */
async function kernelet(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const factories = { topology: createTopologyCommand, machine: createMachineCommand } as const;
  const [name, ...rest] = argv;
  const command = factories[name as keyof typeof factories]({ stdout, stderr });
  const absolute = rest.map((a) => (/^(examples|test)\//.test(a) ? join(ROOT, a) : a));
  const code = await command.run(absolute);
  const relative = (s: string): string => s.split(ROOT).join('');
  return { code, stdout: relative(stdout.text), stderr: relative(stderr.text) };
}

/** The `$ kernelet ...` lines of the examples README and the line each prints. */
function readmeExamples(): { title: string; argv: string[]; output: string }[] {
  const lines = readFileSync(join(ROOT, 'examples/topology/README.md'), 'utf8').split('\n');
  return lines.flatMap((line, i) => (line.startsWith('$ kernelet ') ? [{ title: line.slice(2), argv: line.slice(11).split(' '), output: lines[i + 1] ?? '' }] : []));
}

describe('kernelet topology merge', () => {
  it('is listed among the commands, with kernelet machine', () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['topology', 'machine']));
  });

  it.each(readmeExamples())('README: $title', async ({ argv, output }) => {
    const result = await kernelet(argv);
    if (output.startsWith('kernelet ')) {
      expect(result.code).not.toBe(0);
      expect(result.stderr).toBe(`${output}\n`);
    } else {
      expect(result).toEqual({ code: 0, stdout: `${output}\n`, stderr: '' });
    }
  });

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kernelet-merge-'));
    await writeFile(join(dir, 'broken.json'), '{"cpu": {"cpu": [');
    await writeFile(join(dir, 'hints.json'), JSON.stringify({ cpu: { cpu: [{ numaAffinity: [0], preferred: true }] } }));
    await writeFile(join(dir, 'short-rows.json'), JSON.stringify({ '0': [10, 20], '1': [20] }));
    await writeFile(join(dir, 'no-preferred.json'), JSON.stringify({ cpu: { cpu: [{ numaAffinity: [0] }] } }));
    await writeFile(join(dir, 'empty-and-null.json'), JSON.stringify({ cpu: { cpu: [{ numaAffinity: [], preferred: true }, { numaAffinity: [1], preferred: true }] }, gpu: null }));
    await writeFile(join(dir, 'only-empty.json'), JSON.stringify({ cpu: { cpu: [{ numaAffinity: [], preferred: true }] } }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const at = (file: string): string => `${'$DIR'}/${file}`;
  it.each([
    ['an unknown policy', ['--policy', 'strict', '--numa-nodes', '0,1', at('hints.json')], 1, '--policy: unknown policy "strict" (want none|best-effort|restricted|single-numa-node)'],
    ['an unknown scope', ['--policy', 'restricted', '--scope', 'node', '--numa-nodes', '0,1', at('hints.json')], 1, '--scope: unknown scope "node" (want container|pod)'],
    ['an unknown option', ['--policy', 'restricted', '--options', 'colour=blue', '--numa-nodes', '0,1', at('hints.json')], 1, '--options[colour]: unknown Topology Manager Policy option "colour"'],
    ['an option without a value', ['--policy', 'restricted', '--options', 'prefer-closest-numa-nodes', '--numa-nodes', '0,1', at('hints.json')], 1, '--options: "prefer-closest-numa-nodes" is not KEY=VALUE'],
    ['a bad option value', ['--policy', 'restricted', '--options', 'max-allowable-numa-nodes=4', '--numa-nodes', '0,1', at('hints.json')], 1, '--options[max-allowable-numa-nodes]: the minimum value of "max-allowable-numa-nodes" should not be less than 8, got 4'],
    ['prefer-closest without distances', ['--policy', 'best-effort', '--options', 'prefer-closest-numa-nodes=true', '--numa-nodes', '0,1', at('hints.json')], 1, '--options: prefer-closest-numa-nodes needs --distances'],
    ['malformed JSON', ['--policy', 'restricted', '--numa-nodes', '0,1', at('broken.json')], 1, `${at('broken.json')}: not valid JSON`],
    ['a missing hints file', ['--policy', 'restricted', '--numa-nodes', '0,1', at('absent.json')], 1, `${at('absent.json')}: cannot read: ENOENT`],
    ['a hint without preferred', ['--policy', 'restricted', '--numa-nodes', '0,1', at('no-preferred.json')], 1, `${at('no-preferred.json')}: [cpu][cpu][0].preferred: must be true or false, got nothing`],
    ['distance rows of the wrong length', ['--policy', 'restricted', '--numa-nodes', '0,1', '--distances', at('short-rows.json'), at('hints.json')], 1, `${at('short-rows.json')}: [1]: has 1 distances, want 2`],
    ['distances for the wrong nodes', ['--policy', 'restricted', '--numa-nodes', '0,1,2', '--distances', at('short-rows.json'), at('hints.json')], 1, `${at('short-rows.json')}: [0]: has 2 distances, want 3`],
    ['a repeated NUMA node', ['--policy', 'restricted', '--numa-nodes', '0,1,1', at('hints.json')], 1, '--numa-nodes: NUMA node 1 listed twice'],
    ['a bad NUMA node list', ['--policy', 'restricted', '--numa-nodes', '0;1', at('hints.json')], 1, '--numa-nodes: "0;1" is not a NUMA node id or range'],
    ['no NUMA nodes', ['--policy', 'restricted', at('hints.json')], 2, '--numa-nodes is required'],
    ['no hints file', ['--policy', 'restricted', '--numa-nodes', '0,1'], 2, 'missing the HINTS.json file'],
    ['an unknown flag', ['--policy', 'restricted', '--numa-nodes', '0,1', '--verbose', at('hints.json')], 2, 'unknown flag "--verbose"'],
    [
      'more NUMA nodes than an explicit max-allowable-numa-nodes',
      ['--policy', 'best-effort', '--options', 'max-allowable-numa-nodes=8', '--numa-nodes', '0-8', at('hints.json')],
      1,
      '--options max-allowable-numa-nodes: unsupported on machines with more than 8 NUMA Nodes (the machine has 9;',
    ],
  ])('refuses %s', async (_name, args, code, message) => {
    const result = await kernelet(['topology', 'merge', ...args.map((a) => a.replace('$DIR', dir))]);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`kernelet topology merge: ${message.replaceAll('$DIR', dir)}`);
  });

  it.each([
    ['a null provider (no preference) and an empty affinity (never wins)', ['--policy', 'restricted', '--numa-nodes', '0,1', 'empty-and-null.json'], '{"bestHint":{"numaAffinity":[1],"preferred":true},"admit":true}'],
    ['only an empty affinity: merges to nothing, as upstream (restricted)', ['--policy', 'restricted', '--numa-nodes', '0,1', 'only-empty.json'], '{"bestHint":{"numaAffinity":[0,1],"preferred":false},"admit":false}'],
    ['only an empty affinity: merges to nothing, as upstream (best-effort)', ['--policy', 'best-effort', '--numa-nodes', '0,1', 'only-empty.json'], '{"bestHint":{"numaAffinity":[0,1],"preferred":false},"admit":true}'],
  ])('merges %s', async (_name, args, output) => {
    const result = await kernelet(['topology', 'merge', ...args.map((a) => (a.endsWith('.json') ? join(dir, a) : a))]);
    expect(result).toEqual({ code: 0, stdout: `${output}\n`, stderr: '' });
  });

  it.each([
    ['max-allowable-numa-nodes unset: no limit', ['--policy', 'restricted', '--numa-nodes', '0-63', '$DIR/hints.json']],
    ['max-allowable-numa-nodes as large as the machine', ['--policy', 'restricted', '--options', 'max-allowable-numa-nodes=9', '--numa-nodes', '0-8', '$DIR/hints.json']],
    ['any option under the none policy, which reads none, as upstream', ['--policy', 'none', '--options', 'colour=blue,max-allowable-numa-nodes=8', '--numa-nodes', '0-63', '$DIR/hints.json']],
  ])('merges with %s', async (_name, args) => {
    const result = await kernelet(['topology', 'merge', ...args.map((a) => a.replace('$DIR', dir))]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    [['topology'], 2, 'stderr'],
    [['topology', 'split'], 2, 'stderr'],
    [['topology', 'merge', '--help'], 0, 'stdout'],
  ])('kernelet %j prints usage', async (argv, code, stream) => {
    const result = await kernelet(argv);
    expect(result.code).toBe(code);
    expect(result[stream as 'stdout' | 'stderr']).toContain('usage: kernelet topology merge --policy POLICY');
  });
});
