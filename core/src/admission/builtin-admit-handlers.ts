import { release } from 'node:os';
import { inject, injectable } from 'inversify';
import type { Pod } from '@kernelet/sdk/common';
import { AgentOptions } from '../config/agent-options.js';
import { admitted, rejected, type AdmitHandler, type AdmitResult } from '../extension-points/admit-handler.js';
import { Logger } from '../logging/logger.js';
import { NodeStatus } from '../node/node-status.js';
import { PodStore } from '../pods/pod-store.js';
import { admitByPredicates } from './predicates.js';
import { SysctlAllowlist } from './sysctl-allowlist.js';

/**
 * The general predicates (upstream predicate admit handler): the pod's OS against the node's,
 * then node resources next to the pods already admitted (OutOfcpu, OutOfmemory,
 * OutOfephemeral-storage, OutOfpods for maxPods, OutOf<extended resource>), nodeSelector and
 * required node affinity against the node's labels (NodeAffinity), spec.nodeName (NodeName)
 * and host ports (NodePorts). See predicates.ts for which failure is reported.
 */
@injectable()
export class PredicateAdmitHandler implements AdmitHandler {
  readonly name = 'predicates';

  constructor(
    @inject(NodeStatus) private readonly node: NodeStatus,
    @inject(PodStore) private readonly pods: PodStore,
  ) {}

  async admit(pod: Pod): Promise<AdmitResult> {
    const uid = pod.metadata?.uid;
    const others = this.pods
      .list()
      .filter((r) => r.pod.metadata?.uid !== uid && !r.terminating)
      .map((r) => r.pod);
    return admitByPredicates(pod, others, { name: this.node.nodeName, labels: this.node.labels(), allocatable: this.node.allocatable() });
  }
}

/**
 * Sysctls (upstream sysctl allowlist admit handler): the safe set and allowedUnsafeSysctls
 * patterns are allowed; anything else is rejected with reason SysctlForbidden.
 */
@injectable()
export class SysctlAdmitHandler implements AdmitHandler {
  readonly name = 'sysctls';
  private readonly allowlist: SysctlAllowlist;

  constructor(@inject(AgentOptions) options: AgentOptions, @inject(Logger) logger: Logger) {
    const unsafe = options.kubelet.allowedUnsafeSysctls ?? [];
    try {
      this.allowlist = new SysctlAllowlist(unsafe, release());
    } catch (error) {
      logger.error({ field: 'allowedUnsafeSysctls', err: (error as Error).message }, 'ignoring allowedUnsafeSysctls');
      this.allowlist = new SysctlAllowlist([], release());
    }
  }

  async admit(pod: Pod): Promise<AdmitResult> {
    for (const sysctl of pod.spec?.securityContext?.sysctls ?? []) {
      const why = this.allowlist.check(sysctl.name, pod.spec?.hostNetwork === true, pod.spec?.hostIPC === true);
      if (why) return rejected('SysctlForbidden', `forbidden sysctl: ${why}`);
    }
    return admitted;
  }
}
