import { randomUUID } from 'node:crypto';
import type { Pod } from '@kernelet/sdk/common';

export function testPod(name: string, labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: randomUUID(), labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  };
}
