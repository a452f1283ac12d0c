#!/usr/bin/env -S node --optimize-for-size --max-opt=1 --v8-pool-size=1 --max-semi-space-size=1
import 'reflect-metadata';
import { commands } from './cli/commands.js';
import { runAgent } from './cli/run-agent.js';
import { helpText } from './config/help.js';
import { isHelpRequested, isVersionRequested } from './config/load-config.js';
import { AGENT_VERSION } from './version.js';

const argv = process.argv.slice(2);
const command = commands.find((c) => c.name === argv[0]);
let code: number;
if (command) {
  code = await command.run(argv.slice(1));
} else if (isHelpRequested(argv)) {
  process.stdout.write(helpText(commands));
  code = 0;
} else if (isVersionRequested(argv)) {
  process.stdout.write(`kernelet v${AGENT_VERSION}\n`);
  code = 0;
} else {
  code = await runAgent(argv);
}
process.exit(code);
