import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** <root-dir>/kernelet/plugin-processes.pid: the plugin processes the agent on this root dir runs, one pid a line. */
export function pluginProcessFilePath(rootDir: string): string {
  return join(rootDir, 'kernelet', 'plugin-processes.pid');
}

/** The pids recorded in the file; none when it is missing or unreadable. */
export async function readPluginProcessFile(path: string): Promise<number[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Replaces the file's content at once (write aside, then rename), so a crash never leaves half a list. */
export async function writePluginProcessFile(path: string, pids: readonly number[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  const aside = `${path}.${process.pid}.tmp`;
  await writeFile(aside, pids.map((pid) => `${pid}\n`).join(''), { mode: 0o600 });
  await rename(aside, path);
}

/**
 * Whether a process's command line (NUL-separated, as /proc/<pid>/cmdline has it) is a
 * kernelet plugin host serving this root dir: only such a process may be stopped on the
 * file's word, never one that merely reuses a recorded pid.
 */
export function isPluginHostFor(cmdline: string, rootDir: string): boolean {
  const args = cmdline.split('\0');
  const isHost = args.some((arg) => /[/\\]plugin-host[/\\]main\.js$/.test(arg));
  const rootAt = args.findIndex((arg, i) => (arg === '--root-dir' && args[i + 1] === rootDir) || arg === `--root-dir=${rootDir}`);
  return isHost && rootAt >= 0;
}
