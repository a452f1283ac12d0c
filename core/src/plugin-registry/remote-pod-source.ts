import { v1alpha1 } from '@kernelet/proto';
import { podFromWire, type Pod } from '@kernelet/sdk/common';
import type { Logger } from '../logging/logger.js';
import type { PodOperation, PodSource, PodSubscription, PodUpdate } from '../extension-points/pod-source.js';
import type { PluginConnection } from './plugin-connection.js';

const OPERATIONS: Record<number, PodOperation> = {
  [v1alpha1.PodOperation.SET]: 'SET',
  [v1alpha1.PodOperation.ADD]: 'ADD',
  [v1alpha1.PodOperation.DELETE]: 'DELETE',
  [v1alpha1.PodOperation.REMOVE]: 'REMOVE',
  [v1alpha1.PodOperation.UPDATE]: 'UPDATE',
  [v1alpha1.PodOperation.RECONCILE]: 'RECONCILE',
};

/** A plugin's PodSource stream seen as the agent's PodSource. Malformed pods are logged and skipped. */
export class RemotePodSource implements PodSource {
  constructor(
    readonly name: string,
    private readonly connection: PluginConnection,
    private readonly logger: Logger,
  ) {}

  watch(onUpdate: (update: PodUpdate) => void, onEnd: (error?: Error) => void): PodSubscription {
    const stream = this.connection.serverStream(v1alpha1.PodSourceService.watchPods, {});
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on('data', (message: v1alpha1.PodUpdate) => {
      const op = OPERATIONS[message.op];
      if (!op) {
        this.logger.warn({ plugin: this.name, op: message.op }, 'pod source sent an unknown operation; update ignored');
        return;
      }
      const pods: Pod[] = [];
      for (const wire of message.pods) {
        try {
          pods.push(podFromWire(wire));
        } catch (error) {
          this.logger.warn({ plugin: this.name, err: (error as Error).message }, 'pod source sent a malformed pod; pod ignored');
        }
      }
      onUpdate({ op, pods, source: message.source || this.name });
    });
    stream.on('error', (error: Error & { code?: number }) => {
      // A cancel is ours; anything else is the plugin's stream breaking.
      end(error.code === 1 ? undefined : error);
    });
    stream.on('end', () => end());
    return {
      close: () => {
        ended = true;
        stream.cancel();
      },
    };
  }
}
