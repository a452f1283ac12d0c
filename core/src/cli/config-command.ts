import { formatProblem, isHelpRequested, loadAgentOptions } from '../config/load-config.js';
import { renderConfigYaml } from '../config/print-config.js';
import type { Command } from './command.js';

const USAGE = `Usage: kernelet config print [flags]

Prints the configuration the agent would run with (every source merged and defaulted) as YAML,
and starts nothing. Takes the agent's flags (--config, --config-dir, --kernelet-config, ...).
Exits 1 and lists every problem when the configuration is invalid.
`;

/** `kernelet config print [flags]`: the final merged configuration as YAML. */
export const configCommand: Command = {
  name: 'config',
  summary: 'print the final merged configuration as YAML (config print [flags])',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(USAGE);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'print' && isHelpRequested(rest)) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (sub !== 'print') {
      process.stderr.write(`kernelet config: unknown subcommand "${sub}"\n\n${USAGE}`);
      return 2;
    }
    return printConfiguration(rest, process.cwd());
  },
};

/** Loads the configuration from `argv` and prints it (or its problems). Returns the exit code. */
export async function printConfiguration(argv: readonly string[], cwd: string): Promise<number> {
  const result = await loadAgentOptions(argv, cwd);
  if (!result.ok) {
    writeProblems(result.problems, result.warnings ?? []);
    return 1;
  }
  for (const warning of result.options.warnings) process.stderr.write(`warning: ${formatProblem(warning)}\n`);
  process.stdout.write(renderConfigYaml(result.options));
  return 0;
}

function writeProblems(problems: readonly { field: string; message: string }[], warnings: readonly { field: string; message: string }[]): void {
  for (const warning of warnings) process.stderr.write(`warning: ${formatProblem(warning)}\n`);
  process.stderr.write(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`);
  for (const problem of problems) process.stderr.write(`  ${formatProblem(problem)}\n`);
}
