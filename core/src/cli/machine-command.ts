import { machineInfoToJSON, MachineInfoError } from '@kernelet/sdk/common';
import { pino } from 'pino';
import { loadMachineInfo } from '../machine/load-machine-info.js';
import type { Command } from './command.js';

const USAGE = `usage: kernelet machine [--machine-info-file FILE] [--sys-root DIR]

Prints the machine topology as JSON (the format --machine-info-file reads):
  {"cpus":[{"id":0,"core":0,"socket":0,"numa":0},...],
   "numaNodes":[{"id":0,"memory":"64Gi","hugepages":{"2Mi":"0","1Gi":"4Gi"},"distances":{"0":10,"1":21}},...]}

  --machine-info-file FILE  read and normalize a machine JSON file instead of /sys
  --sys-root DIR            read sys/ and proc/ under DIR instead of / (default /)
`;

export interface CommandStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `kernelet machine`: the machine topology as the agent sees it. */
export function createMachineCommand(streams: CommandStreams = { stdout: process.stdout, stderr: process.stderr }): Command {
  return {
    name: 'machine',
    summary: 'print the machine topology (CPUs, NUMA nodes, memory, hugepages, distances) as JSON',
    async run(argv) {
      let machineInfoFile: string | undefined;
      let sysRoot: string | undefined;
      for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] as string;
        if (arg === '-h' || arg === '--help') {
          streams.stdout.write(USAGE);
          return 0;
        }
        const eq = arg.indexOf('=');
        const name = eq > 0 ? arg.slice(0, eq) : arg;
        if (name !== '--machine-info-file' && name !== '--sys-root') return usageError(streams, `unknown argument "${arg}"`);
        const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || value === '') return usageError(streams, `${name} needs a value`);
        if (name === '--machine-info-file') machineInfoFile = value;
        else sysRoot = value;
      }
      try {
        const logger = pino({ level: 'warn' }, pino.destination(2));
        const machine = await loadMachineInfo({
          ...(machineInfoFile !== undefined ? { machineInfoFile } : {}),
          ...(sysRoot !== undefined ? { sysRoot } : {}),
          logger,
        });
        streams.stdout.write(`${JSON.stringify(machineInfoToJSON(machine))}\n`);
        return 0;
      } catch (err) {
        if (!(err instanceof MachineInfoError)) throw err;
        streams.stderr.write(`kernelet machine: ${err.message}\n`);
        return 1;
      }
    },
  };
}

export const machineCommand: Command = createMachineCommand();

function usageError(streams: CommandStreams, message: string): number {
  streams.stderr.write(`kernelet machine: ${message}\n${USAGE}`);
  return 2;
}
