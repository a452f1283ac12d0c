import { inject, injectable, optional } from 'inversify';
import type { Pod } from '@kernelet/sdk/common';
import { AdmitHandler, type AdmitResult } from '../extension-points/admit-handler.js';
import { Contributions } from '../extension-points/contributions.js';
import { Logger } from '../logging/logger.js';
import { PluginReadiness } from '../plugin-registry/plugin-readiness.js';
import { PodStore } from '../pods/pod-store.js';
import { ResourceAllocation } from '../topology/topology-admission.js';

/**
 * Admits pods one at a time, in the order they arrive, against what is already admitted:
 * the built-in checks first, then every admit-handler plugin, then resource allocation
 * (the topology manager and its hint providers), so only a pod every check admitted gets
 * CPUs or memory. The first rejection ends admission; an admitted pod joins the pod store.
 *
 * Failure policy for plugins that are not there: admission first waits for every plugin the
 * node relies on (see PluginReadiness) to be registered, so no pod is placed as if a resource
 * manager did not exist. The wait has one deadline per missing plugin, --plugin-ready-timeout
 * (30 s) after it went missing (unbound, or since the agent started): a pod arriving earlier
 * waits only for what remains of it; a plugin that was refused, or one still missing past its
 * deadline, rejects every pod at once with UnexpectedAdmissionError naming it.
 */
@injectable()
export class AdmissionChain {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @inject(Contributions) private readonly contributions: Contributions,
    @inject(PodStore) private readonly pods: PodStore,
    @inject(Logger) private readonly logger: Logger,
    @inject(PluginReadiness) private readonly readiness: PluginReadiness,
    @inject(ResourceAllocation) @optional() private readonly allocation?: AdmitHandler,
  ) {}

  admit(pod: Pod): Promise<AdmitResult> {
    const run = this.queue.then(() => this.run(pod));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(pod: Pod): Promise<AdmitResult> {
    const podName = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
    const missing = await this.readiness.waitForExpected();
    if (missing.length > 0) {
      const detail = missing.map((m) => `${m.name} (${m.state}${m.lastError ? `: ${m.lastError}` : ''})`).join('; ');
      const result: AdmitResult = {
        admit: false,
        reason: 'UnexpectedAdmissionError',
        message: `pods are not admitted while plugins the node relies on are not registered: ${detail}`,
      };
      this.logger.warn({ pod: podName, podUID: pod.metadata?.uid, missing }, 'pod rejected: expected plugins are not registered');
      return result;
    }
    const steps = this.contributions.getAll<AdmitHandler>(AdmitHandler);
    for (const handler of this.allocation ? [...steps, this.allocation] : steps) {
      let result: AdmitResult;
      try {
        result = await handler.admit(pod);
      } catch (error) {
        result = { admit: false, reason: 'UnexpectedAdmissionError', message: `admit handler ${handler.name} failed: ${(error as Error).message}` };
      }
      if (!result.admit) {
        this.logger.info({ pod: podName, podUID: pod.metadata?.uid, handler: handler.name, reason: result.reason, message: result.message }, 'pod rejected');
        return result;
      }
    }
    this.pods.add(pod);
    this.logger.debug({ pod: podName, podUID: pod.metadata?.uid }, 'pod admitted');
    return { admit: true };
  }
}
