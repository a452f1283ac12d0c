import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmbeddedRuntimePaths } from './runtime-endpoint.js';

const LAUNCHER = fileURLToPath(new URL('./embedded-runtime-launcher.js', import.meta.url));

/**
 * Makes sure kernelet's embedded runtime serves its socket (the runtime package's
 * ensureEmbeddedRuntime, run in a launcher process): returns at once when it already answers,
 * else starts it detached. The agent never stops it.
 */
export function ensureEmbeddedRuntime(paths: EmbeddedRuntimePaths, timeoutMs = 30_000): Promise<{ pid: number; started: boolean }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [LAUNCHER, JSON.stringify(paths)], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`cannot start the embedded runtime: ${(stderr || error.message).trim()}`, { cause: error }));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { pid: number; started: boolean });
      } catch {
        reject(new Error(`the embedded runtime launcher printed ${JSON.stringify(stdout)}`));
      }
    });
  });
}
