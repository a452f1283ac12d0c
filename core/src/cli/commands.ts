import type { Command } from './command.js';
import { configCommand } from './config-command.js';
import { pluginsCommand } from './plugins-command.js';

/** Every subcommand; add a command by adding its module here. */
export const commands: readonly Command[] = [configCommand, pluginsCommand];
