import { join } from 'node:path';

export function hostApiSocketPath(rootDir: string): string {
  return join(rootDir, 'kernelet', 'host.sock');
}
