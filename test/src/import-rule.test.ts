import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from './support/paths.js';

/** Every TypeScript source under dir (no dist, no node_modules). */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] as string);
}

async function packageJsons(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name, 'package.json'));
}

describe('the import rule', () => {
  it('no plugin, example or SDK source imports @kernelet/core', async () => {
    const offenders: string[] = [];
    for (const dir of ['plugins', 'examples', 'sdk/src', 'proto/src']) {
      for (const file of await sources(repoPath(dir))) {
        for (const spec of await importsOf(file)) {
          if (spec === '@kernelet/core' || spec.startsWith('@kernelet/core/') || /(^|\/)core\/src\//.test(spec)) {
            offenders.push(`${relative(repoPath('.'), file)} imports ${spec}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no plugin or example package depends on @kernelet/core', async () => {
    const offenders: string[] = [];
    for (const pkg of [...(await packageJsons(repoPath('plugins'))), ...(await packageJsons(repoPath('examples'))), repoPath('sdk/package.json')]) {
      const json = JSON.parse(await readFile(pkg, 'utf8').catch(() => '{}')) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        if (json[field]?.['@kernelet/core']) offenders.push(`${relative(repoPath('.'), pkg)} ${field}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the core imports no plugin, and of the SDK only its pure common part', async () => {
    const offenders: string[] = [];
    for (const file of await sources(repoPath('core/src'))) {
      for (const spec of await importsOf(file)) {
        const plugin = spec.startsWith('@kernelet/plugin-') || spec.startsWith('@kernelet/example-') || /(^|\/)(plugins|examples)\//.test(spec);
        const sdkBeyondCommon = spec.startsWith('@kernelet/sdk') && spec !== '@kernelet/sdk/common';
        if (plugin || sdkBeyondCommon) offenders.push(`${relative(repoPath('.'), file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
