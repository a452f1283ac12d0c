import { rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { inject, injectable } from 'inversify';
import { v1alpha1 } from '@kernelet/proto';
import { podToWire } from '@kernelet/sdk/common';
import type { Startable } from '../agent/lifecycle.js';
import { AgentOptions } from '../config/agent-options.js';
import { Logger } from '../logging/logger.js';
import { bindUnixSocket } from '@kernelet/proto/transport';
import { PodStore } from '../pods/pod-store.js';
import { hostApiSocketPath } from './host-api-socket.js';

/** Serves the Host API to plugins at <root-dir>/kernelet/host.sock. */
@injectable()
export class HostApiServer implements Startable {
  readonly name = 'host-api';
  readonly socketPath: string;
  private server: grpc.Server | undefined;

  constructor(
    @inject(AgentOptions) options: AgentOptions,
    @inject(PodStore) private readonly pods: PodStore,
    @inject(Logger) private readonly logger: Logger,
  ) {
    this.socketPath = hostApiSocketPath(options.flags.rootDir);
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    server.addService(v1alpha1.HostService, {
      listPods: (_call, callback) => {
        callback(null, {
          pods: this.pods.list().map((r) => ({ pod: podToWire(r.pod), qosClass: r.qosClass, priority: r.priority, terminating: r.terminating })),
          synced: this.pods.synced,
        });
      },
      terminatePod: (call, callback) => {
        const { podUid, phase, reason, message, gracePeriodSeconds } = call.request;
        if (phase !== '' && phase !== 'Failed' && phase !== 'Succeeded') {
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: `phase ${JSON.stringify(phase)}: want Failed or Succeeded` });
        }
        if (gracePeriodSeconds !== undefined && gracePeriodSeconds < 0) {
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: `gracePeriodSeconds ${gracePeriodSeconds} is negative` });
        }
        const found = this.pods.terminate({
          podUID: podUid,
          phase: phase === 'Succeeded' ? 'Succeeded' : 'Failed',
          reason,
          message,
          ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
        });
        if (!found) return callback({ code: grpc.status.NOT_FOUND, details: `no pod with uid ${podUid}` });
        this.logger.info({ podUID: podUid, reason, message }, 'pod termination requested through the Host API');
        callback(null, {});
      },
    } satisfies v1alpha1.HostServer);
    await bindUnixSocket(server, this.socketPath);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await rm(this.socketPath, { force: true });
  }
}
