/**
 * Reading configuration files from disk with clear failures: missing, unreadable, a directory,
 * too large, empty, not YAML, not a mapping. Drop-in directories are walked as the kubelet
 * walks them: recursively, entries in name order, only `*.conf` files loaded.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import type { JsonObject } from './json-value.js';
import type { ProblemList } from './problem.js';
import { isMapping, parseYamlDocument } from './yaml-document.js';

/** Configuration files above this size are refused: a KubeletConfiguration is a few kilobytes. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export const DROP_IN_SUFFIX = '.conf';

export interface ReadDocument {
  document: JsonObject;
  /** Field paths that appear twice. */
  duplicates: string[];
}

/** Reads and parses one file; reports problems under `field` (e.g. "--config") and returns undefined on failure. */
export async function readConfigDocument(file: string, field: string, problems: ProblemList): Promise<ReadDocument | undefined> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) {
      problems.add(field, `${file} is a directory, not a file`);
      return undefined;
    }
    if (stat.size > MAX_CONFIG_FILE_BYTES) {
      problems.add(field, `${file} is ${stat.size} bytes; configuration files above ${MAX_CONFIG_FILE_BYTES} bytes are refused`);
      return undefined;
    }
    const handle = await fs.open(file, 'r');
    try {
      const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_CONFIG_FILE_BYTES) {
        problems.add(field, `${file} is larger than ${MAX_CONFIG_FILE_BYTES} bytes; configuration files that large are refused`);
        return undefined;
      }
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    problems.add(field, `cannot read ${file}: ${describeFsError(err)}`);
    return undefined;
  }
  const parsed = parseYamlDocument(text);
  for (const error of parsed.errors) problems.add(field, `${file}: ${error}`);
  if (parsed.errors.length > 0) return undefined;
  if (parsed.extraDocuments > 0) problems.warn(field, `${file} holds ${parsed.extraDocuments + 1} YAML documents; only the first is used`);
  if (!isMapping(parsed.value)) {
    problems.add(field, `${file}: expected a mapping (a KubeletConfiguration object), got ${describeShape(parsed.value)}`);
    return undefined;
  }
  return { document: parsed.value, duplicates: parsed.duplicates };
}

export interface DropInListing {
  /** `*.conf` files, absolute, in the order they apply. */
  files: string[];
  /** Other files, ignored. */
  ignored: string[];
}

/** Lists a drop-in directory; a missing or unreadable directory is a problem. */
export async function listDropIns(dir: string, problems: ProblemList): Promise<DropInListing | undefined> {
  const listing: DropInListing = { files: [], ignored: [] };
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) {
      problems.add('--config-dir', `${dir} is not a directory`);
      return undefined;
    }
    await walk(dir, listing);
  } catch (err) {
    problems.add('--config-dir', `cannot read drop-in directory ${dir}: ${describeFsError(err)}`);
    return undefined;
  }
  return listing;
}

async function walk(dir: string, listing: DropInListing): Promise<void> {
  const entries: Dirent[] = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(full, listing);
    } else if (path.extname(entry.name) === DROP_IN_SUFFIX) {
      listing.files.push(full);
    } else {
      listing.ignored.push(full);
    }
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return (err as Error).message;
  }
}

function describeShape(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'nothing';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}
