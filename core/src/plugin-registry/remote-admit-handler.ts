import { v1alpha1 } from '@kernelet/proto';
import { podToWire, type Pod } from '@kernelet/sdk/common';
import { admitted, rejected, type AdmitHandler, type AdmitResult } from '../extension-points/admit-handler.js';
import { CallStream } from './call-stream.js';
import type { PluginConnection } from './plugin-connection.js';

export type FailurePolicy = 'Fail' | 'Ignore';

const REASON = /^[A-Z][A-Za-z0-9]*$/;

/**
 * A plugin's AdmitHandler service seen as the agent's AdmitHandler, with the documented
 * failure policy. Admit travels on the plugin's Calls stream; a plugin without one is
 * called through the unary rpc.
 */
export class RemoteAdmitHandler implements AdmitHandler {
  private readonly calls: CallStream<v1alpha1.AdmitHandlerCall, v1alpha1.AdmitHandlerResult>;

  constructor(
    readonly name: string,
    private readonly connection: PluginConnection,
    private readonly failurePolicy: FailurePolicy,
  ) {
    this.calls = new CallStream(connection, v1alpha1.AdmitHandlerService.calls);
  }

  async admit(pod: Pod): Promise<AdmitResult> {
    let response: v1alpha1.AdmitResponse;
    const request = { pod: podToWire(pod) };
    try {
      response = await this.calls.sendOrUnary(
        'Admit',
        { admit: request },
        (result) => result.admit,
        () => this.connection.unary(v1alpha1.AdmitHandlerService.admit, request),
      );
    } catch (error) {
      if (this.failurePolicy === 'Ignore') return admitted;
      return rejected('UnexpectedAdmissionError', `admission plugin ${this.name} failed: ${(error as Error).message}`);
    }
    if (response.admit) return admitted;
    const reason = response.rejection?.reason ?? '';
    const message = response.rejection?.message ?? '';
    if (!REASON.test(reason)) {
      return rejected(
        'UnexpectedAdmissionError',
        `admission plugin ${this.name} rejected the pod with a malformed reason ${JSON.stringify(reason)}: ${message}`,
      );
    }
    return rejected(reason, message);
  }
}
