import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

/**
 * Runs the built subcommands in a node process, dispatching the way the agent's entry
 * point does (first argument names the command), so the examples keep working from
 * core/dist once main.ts hands subcommands to the command list.
 */
const DISPATCH = `
const { commands } = await import(${JSON.stringify(join(ROOT, 'core/dist/cli/commands.js'))});
const [name, ...rest] = process.argv.slice(1);
const command = commands.find((c) => c.name === name);
if (!command) { process.stderr.write('no command ' + name + '\\n'); process.exit(2); }
process.exitCode = await command.run(rest);
`;

async function kernelet(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', DISPATCH, ...argv], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const examples = readFileSync(join(ROOT, 'examples/topology/README.md'), 'utf8')
  .split('\n')
  .flatMap((line, i, lines) => (line.startsWith('$ kernelet ') ? [{ title: line.slice(2), argv: line.slice(11).split(' '), output: lines[i + 1] ?? '' }] : []));

describe('the built kernelet topology and machine commands', () => {
  it.each(examples)('$title', async ({ argv, output }) => {
    const result = await kernelet(argv);
    if (output.startsWith('kernelet ')) {
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe(output);
    } else {
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(output);
    }
  });
});
