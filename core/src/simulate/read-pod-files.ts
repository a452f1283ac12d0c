import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { applyPodDefaults, applyPriorityAdmission, checkPodShape, readManifestDocuments, validatePod, type Pod } from '@kernelet/sdk/common';

export class PodFileError extends Error {
  override readonly name = 'PodFileError';
}

/**
 * The pods of YAML/JSON files, in file and document order, as an API server would store
 * them: checked, defaulted (requests from limits, pull policies, ...), given a priority as
 * the Priority admission plugin would, namespace "default" when empty. A pod keeps the uid its
 * file gives; one is generated otherwise.
 */
export async function readPodFiles(files: readonly string[]): Promise<Pod[]> {
  const pods: Pod[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((e: Error) => {
      throw new PodFileError(`${file}: ${e.message}`);
    });
    const { documents, errors } = readManifestDocuments(text);
    if (errors.length > 0) throw new PodFileError(`${file}: ${errors.map((e) => e.message).join('; ')}`);
    for (const document of documents) {
      const at = `${file}${documents.length > 1 ? ` (document ${document.index})` : ''}`;
      pods.push(asPod(document.value, at));
    }
  }
  return pods;
}

function asPod(value: unknown, at: string): Pod {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind !== undefined && kind !== 'Pod') throw new PodFileError(`${at}: kind ${JSON.stringify(kind)} is not Pod`);
  const shape = checkPodShape(value);
  if (shape.length > 0) throw new PodFileError(`${at}: ${shape.join('; ')}`);
  const manifest = value as Pod;
  const pod = applyPriorityAdmission(
    applyPodDefaults({
      ...manifest,
      metadata: { ...manifest.metadata, namespace: manifest.metadata?.namespace || 'default', uid: manifest.metadata?.uid || randomUUID() },
    }),
  );
  const problems = validatePod(pod);
  if (problems.length > 0) throw new PodFileError(`${at}: ${problems.join('; ')}`);
  return pod;
}
