import type { Command } from './command.js';
import { configCommand } from './config-command.js';
import { machineCommand } from './machine-command.js';
import { pluginsCommand } from './plugins-command.js';
import { podsCommand } from './pods-command.js';
import { simulateCommand } from './simulate-command.js';
import { topologyCommand } from './topology-command.js';

/** Every subcommand; add a command by adding its module here. */
export const commands: readonly Command[] = [configCommand, machineCommand, pluginsCommand, podsCommand, simulateCommand, topologyCommand];
