#!/usr/bin/env node
import 'reflect-metadata';
import { commands } from './cli/commands.js';
import { runAgent } from './cli/run-agent.js';

const argv = process.argv.slice(2);
const command = commands.find((c) => c.name === argv[0]);
let code: number;
if (command) {
  code = await command.run(argv.slice(1));
} else if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(
    `kernelet: the Kubernetes node agent as a plugin-based microkernel.\n\nUsage:\n  kernelet [flags]            run the agent\n${commands
      .map((c) => `  kernelet ${c.name.padEnd(18)} ${c.summary}\n`)
      .join('')}`,
  );
  code = 0;
} else {
  code = await runAgent(argv);
}
process.exit(code);
