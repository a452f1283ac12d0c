import { fileURLToPath } from 'node:url';

/** The compiled fixture plugin script (tests spawn what `npm run build` produced). */
export function fixturePlugin(name: string): string {
  return fileURLToPath(new URL(`../../dist/fixtures/plugins/${name}.js`, import.meta.url));
}

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative, new URL('../../../', import.meta.url)));
}
