import { readFile } from 'node:fs/promises';
import { MachineInfoError, parseMachineInfo, type MachineInfo } from '@kernelet/sdk/common';
import type { Logger } from 'pino';
import { checkMachineInfo, unknownMachineFields } from './check-machine-info.js';
import { readSysfsMachine } from './read-sysfs-machine.js';

export interface LoadMachineInfoOptions {
  /** `--machine-info-file`: a machine JSON file used instead of /sys. */
  machineInfoFile?: string;
  /** Root of the sys/ and proc/ trees to read (default "/"). */
  sysRoot?: string;
  logger?: Logger;
}

/**
 * The machine topology the agent and its plugins work with: from the machine JSON
 * file when one is given (the format `kernelet machine` prints), else from sysfs.
 * Errors are MachineInfoError, naming the file (or sysfs path) and each bad field.
 */
export async function loadMachineInfo(options: LoadMachineInfoOptions = {}): Promise<MachineInfo> {
  if (options.machineInfoFile === undefined) return readSysfsMachine(options.sysRoot ?? '/', options.logger);
  const file = options.machineInfoFile;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MachineInfoError(file, [`cannot read: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MachineInfoError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  const unknown = unknownMachineFields(raw);
  let parsed: MachineInfo;
  try {
    parsed = parseMachineInfo(raw, file);
  } catch (err) {
    if (err instanceof MachineInfoError) throw new MachineInfoError(file, [...unknown, ...err.problems]);
    throw err;
  }
  if (unknown.length > 0) throw new MachineInfoError(file, unknown);
  return checkMachineInfo(parsed, file);
}
