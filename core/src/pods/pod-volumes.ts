import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Pod } from '@kernelet/sdk/common';
import type { HostVolume, PodVolumes } from './pod-runtime.js';

/** Where a pod's own files live: <root-dir>/pods/<uid>. */
export function podDir(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid);
}

/**
 * Sets up the volumes a node agent can provide on its own: emptyDir (a directory under the
 * pod's dir) and hostPath (checked or created by its type). Volumes that need the API server
 * (configMap, secret, projected, persistentVolumeClaim, ...) are reported unsupported; a
 * container mounting one fails with CreateContainerConfigError naming the volume.
 */
export async function preparePodVolumes(rootDir: string, pod: Pod): Promise<PodVolumes> {
  const volumes = new Map<string, HostVolume>();
  const unsupported = new Map<string, string>();
  const uid = pod.metadata?.uid ?? '';
  for (const v of pod.spec?.volumes ?? []) {
    if (v.emptyDir) {
      const dir = join(podDir(rootDir, uid), 'volumes', 'kubernetes.io~empty-dir', v.name);
      await mkdir(dir, { recursive: true, mode: 0o777 });
      volumes.set(v.name, { hostPath: dir, readOnly: false });
    } else if (v.hostPath) {
      const problem = await prepareHostPath(v.hostPath.path, v.hostPath.type ?? '');
      if (problem) unsupported.set(v.name, problem);
      else volumes.set(v.name, { hostPath: v.hostPath.path, readOnly: false });
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      unsupported.set(v.name, `volumes of type ${kind} need the API server; a standalone node provides emptyDir and hostPath`);
    }
  }
  return { volumes, unsupported };
}

async function prepareHostPath(path: string, type: string): Promise<string | undefined> {
  if (!isAbsolute(path)) return `hostPath "${path}" is not absolute`;
  const info = await stat(path).catch(() => undefined);
  switch (type) {
    case 'DirectoryOrCreate':
      if (!info) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!info.isDirectory()) return `hostPath type check failed: ${path} is not a directory`;
      return undefined;
    case 'FileOrCreate':
      if (!info) {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await writeFile(path, '', { mode: 0o644, flag: 'a' });
      } else if (!info.isFile()) return `hostPath type check failed: ${path} is not a file`;
      return undefined;
    case 'Directory':
      return info?.isDirectory() ? undefined : `hostPath type check failed: ${path} is not a directory`;
    case 'File':
      return info?.isFile() ? undefined : `hostPath type check failed: ${path} is not a file`;
    case 'Socket':
      return info?.isSocket() ? undefined : `hostPath type check failed: ${path} is not a socket file`;
    case 'CharDevice':
      return info?.isCharacterDevice() ? undefined : `hostPath type check failed: ${path} is not a character device`;
    case 'BlockDevice':
      return info?.isBlockDevice() ? undefined : `hostPath type check failed: ${path} is not a block device`;
    default:
      return undefined;
  }
}

/** Removes the pod's directory (volumes, termination-message files, /etc/hosts). */
export async function removePodDir(rootDir: string, uid: string): Promise<void> {
  if (!uid) return;
  await rm(podDir(rootDir, uid), { recursive: true, force: true });
}
