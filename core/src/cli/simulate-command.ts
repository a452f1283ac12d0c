import { createLogger } from '../logging/logger.js';
import { readPodFiles } from '../simulate/read-pod-files.js';
import { simulate } from '../simulate/simulation.js';
import type { Command } from './command.js';

const USAGE = `usage: kernelet simulate --machine MACHINE.json [--config KUBELET.yaml] [--state-dir DIR] [--plugins LIST] [--v N] POD.yaml...

Admits the pods in order through the real admission chain, topology manager and CPU/memory
manager plugins against the machine and prior state, without touching the host, and prints
one JSON object per pod. With --state-dir, cpu_manager_state and memory_manager_state are read
from DIR at the start (their entries are pods already running: they keep what they hold and
count in the node's resources) and written back at the end; DIR is created when missing.
`;

const DEFAULT_PLUGINS = ['cpu-manager', 'memory-manager'];

/** `kernelet simulate`: what the node would decide for these pods, before anything is drained. */
export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'admit pods against a machine file and prior state, printing the placements (touches nothing)',
  async run(argv) {
    let machineFile: string | undefined;
    let configFile: string | undefined;
    let stateDir: string | undefined;
    let plugins = DEFAULT_PLUGINS;
    let verbosity = 0;
    const podFiles: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string;
      const eq = arg.indexOf('=');
      const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
      const value = () => (arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : argv[++i]);
      if (flag === '--machine') machineFile = value();
      else if (flag === '--config') configFile = value();
      else if (flag === '--state-dir') stateDir = value();
      else if (flag === '--plugins') plugins = (value() ?? '').split(',').filter(Boolean);
      else if (flag === '--v' || flag === '-v') verbosity = Number(value());
      else if (flag === '--help' || flag === '-h') {
        process.stdout.write(USAGE);
        return 0;
      } else if (flag.startsWith('-')) {
        process.stderr.write(`kernelet simulate: unknown flag ${flag}\n${USAGE}`);
        return 2;
      } else podFiles.push(arg);
    }
    if (!machineFile || podFiles.length === 0) {
      process.stderr.write(`kernelet simulate: ${!machineFile ? '--machine is required' : 'no pod files given'}\n${USAGE}`);
      return 2;
    }
    try {
      const pods = await readPodFiles(podFiles);
      const logger = createLogger({ verbosity, destination: process.stderr });
      if (verbosity === 0) logger.level = 'error';
      const verdicts = await simulate(pods, {
        machineFile,
        plugins,
        logger,
        verbose: verbosity > 0,
        ...(configFile ? { configFile } : {}),
        ...(stateDir ? { stateDir } : {}),
      });
      for (const verdict of verdicts) process.stdout.write(`${JSON.stringify(verdict)}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`kernelet simulate: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
