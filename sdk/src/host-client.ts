import * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { podFromWire, type Pod } from './common/index.js';
import { UnixSocketLinks } from '@kernelet/proto/transport';

export interface HostPod {
  pod: Pod;
  qosClass: 'Guaranteed' | 'Burstable' | 'BestEffort';
  priority: number;
  terminating: boolean;
}

export interface TerminatePodOptions {
  podUID: string;
  /** "Failed" (default) or "Succeeded". */
  phase?: 'Failed' | 'Succeeded';
  reason: string;
  message: string;
  /** Overrides the pod's terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
}

export interface HostPodList {
  pods: HostPod[];
  /** True once the agent has heard from every pod source: only then is a pod missing from the list gone. */
  synced: boolean;
}

/** The agent's Host API, as a plugin calls it. */
export interface HostClient {
  listPods(): Promise<HostPodList>;
  terminatePod(options: TerminatePodOptions): Promise<void>;
  close(): void;
}

/** A client of the agent's Host API at endpoint (a unix socket path of any length). */
export function connectHost(endpoint: string, timeoutMs: number): HostClient {
  const links = new UnixSocketLinks();
  const client = new v1alpha1.HostClient(`unix://${links.dialPath(endpoint)}`, grpc.credentials.createInsecure());
  const deadline = () => ({ deadline: Date.now() + timeoutMs });
  return {
    listPods: () =>
      new Promise((resolve, reject) => {
        client.listPods({}, new grpc.Metadata(), deadline(), (error, response) => {
          if (error) return reject(error);
          resolve({
            pods: response.pods.map((p) => ({
              pod: podFromWire(p.pod),
              qosClass: p.qosClass as HostPod['qosClass'],
              priority: p.priority,
              terminating: p.terminating,
            })),
            synced: response.synced,
          });
        });
      }),
    terminatePod: (o) =>
      new Promise((resolve, reject) => {
        client.terminatePod(
          { podUid: o.podUID, phase: o.phase ?? 'Failed', reason: o.reason, message: o.message, gracePeriodSeconds: o.gracePeriodSeconds },
          new grpc.Metadata(),
          deadline(),
          (error) => (error ? reject(error) : resolve()),
        );
      }),
    close: () => {
      client.close();
      links.remove();
    },
  };
}
