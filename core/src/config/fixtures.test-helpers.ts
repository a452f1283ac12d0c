/** Helpers shared by the configuration tests (not exported from the package). */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentOptions } from './agent-options.js';
import { loadAgentOptions, type LoadResult } from './load-config.js';
import type { ConfigProblem } from './problem.js';

export function fixture(relative: string): string {
  return fileURLToPath(new URL(`./fixtures/${relative}`, import.meta.url));
}

/** A fresh temporary directory holding `files` (name -> content). */
export async function tempDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kernelet-config-'));
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

export const HEADER = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

export async function loadOk(argv: string[], cwd = '/'): Promise<AgentOptions> {
  const result = await loadAgentOptions(argv, cwd);
  if (!result.ok) throw new Error(`expected a valid configuration, got:\n${result.problems.map((p) => `${p.field}: ${p.message}`).join('\n')}`);
  return result.options;
}

export async function loadProblems(argv: string[], cwd = '/'): Promise<ConfigProblem[]> {
  const result: LoadResult = await loadAgentOptions(argv, cwd);
  if (result.ok) throw new Error('expected problems, the configuration loaded');
  return result.problems;
}
