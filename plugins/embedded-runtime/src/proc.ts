import { readFile } from 'node:fs/promises';

/** What /proc/<pid>/stat tells about a process that we need to recognise it later. */
export interface ProcStat {
  /** R, S, D, Z (zombie), T, ... */
  state: string;
  /** Start time in clock ticks after boot (field 22): with the boot id, identifies the process across pid reuse. */
  startTime: string;
  pgrp: number;
  utimeTicks: number;
  stimeTicks: number;
  rssPages: number;
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return {
    state,
    startTime,
    pgrp: Number(fields[2]),
    utimeTicks: Number(fields[11]),
    stimeTicks: Number(fields[12]),
    rssPages: Number(fields[21]),
  };
}

let cachedBootId: string | undefined;

/** Changes on every boot: a pid recorded under another boot id names nothing. */
export async function bootId(): Promise<string> {
  cachedBootId ??= (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  return cachedBootId;
}

/**
 * True when pid still names the process that had this start time and has not exited
 * (a zombie waiting for its parent to reap it has exited).
 */
export async function isSameLiveProcess(pid: number, startTime: string): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Sends a signal, ignoring a process that is already gone. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  if (pid <= 1) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
