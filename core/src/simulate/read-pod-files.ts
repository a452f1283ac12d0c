import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { Pod } from '@kernelet/sdk/common';

/** Pod files larger than this are refused rather than parsed. */
const MAX_POD_FILE_BYTES = 10 * 1024 * 1024;

export class PodFileError extends Error {
  override readonly name = 'PodFileError';
}

/**
 * The pods of YAML/JSON files, in file and document order. A pod keeps the uid its file
 * gives (one is generated otherwise) and gets what the API server would default that
 * admission depends on: namespace "default", and requests taken from limits.
 */
export async function readPodFiles(files: readonly string[]): Promise<Pod[]> {
  const pods: Pod[] = [];
  for (const file of files) {
    const info = await stat(file).catch((e: Error) => {
      throw new PodFileError(`${file}: ${e.message}`);
    });
    if (info.size > MAX_POD_FILE_BYTES) throw new PodFileError(`${file}: ${info.size} bytes is more than the ${MAX_POD_FILE_BYTES}-byte limit for a pod file`);
    const text = await readFile(file, 'utf8');
    const documents = parseAllDocuments(text);
    for (const [i, document] of (Array.isArray(documents) ? documents : [documents]).entries()) {
      const at = `${file}${i > 0 ? ` (document ${i + 1})` : ''}`;
      if (document.errors.length > 0) throw new PodFileError(`${at}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
      const value: unknown = document.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) continue;
      pods.push(asPod(value, at));
    }
  }
  return pods;
}

function asPod(value: unknown, at: string): Pod {
  if (typeof value !== 'object' || Array.isArray(value)) throw new PodFileError(`${at}: not a mapping`);
  const pod = value as Pod;
  if (pod.kind !== undefined && pod.kind !== 'Pod') throw new PodFileError(`${at}: kind ${JSON.stringify(pod.kind)} is not Pod`);
  if (!pod.metadata?.name) throw new PodFileError(`${at}: metadata.name is missing`);
  if (!Array.isArray(pod.spec?.containers) || pod.spec.containers.length === 0) throw new PodFileError(`${at}: spec.containers is empty`);
  const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => {
    const limits = c.resources?.limits;
    if (!limits) return c;
    return { ...c, resources: { ...c.resources, requests: { ...limits, ...c.resources?.requests } } };
  });
  const init = pod.spec.initContainers?.length ?? 0;
  return {
    ...pod,
    metadata: { ...pod.metadata, namespace: pod.metadata.namespace || 'default', uid: pod.metadata.uid || randomUUID() },
    spec: { ...pod.spec, ...(init > 0 ? { initContainers: containers.slice(0, init) } : {}), containers: containers.slice(init) },
  };
}
