import type { AllocationList, Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import type { AllocateResult, HintProvider } from '../../extension-points/hint-provider.js';
import { parseHintsDocument } from '../hints-document.js';
import { describeMask } from '../mask-ranking.js';

/** What a fake provider does, as written in the admission fixtures. */
export interface ProviderScript {
  /** Container name to resource hints (the hints-document shape of one provider); a missing container has no preference. */
  containerHints?: Record<string, Record<string, unknown>>;
  podHints?: Record<string, unknown>;
  /** Container name to the refusal its allocation gets. */
  refuse?: Record<string, { reason: string; message: string }>;
  /** "<method> [container]" to the message of the error that call throws. */
  throws?: Record<string, string>;
  /** "<method> [container]" calls that never answer. */
  hangs?: string[];
}

/** A HintProvider that follows a script and writes every call to a shared log ("<name> <method> [container] [hint]"). */
export class ScriptedProvider implements HintProvider {
  constructor(
    readonly name: string,
    private readonly script: ProviderScript,
    private readonly numaNodes: readonly number[],
    private readonly log: string[],
  ) {}

  getTopologyHints(_pod: Pod, containerName: string): Promise<ProviderHints> {
    return this.act(`getTopologyHints ${containerName}`, () => this.parse(this.script.containerHints?.[containerName] ?? {}));
  }

  getPodTopologyHints(_pod: Pod): Promise<ProviderHints> {
    return this.act('getPodTopologyHints', () => this.parse(this.script.podHints ?? {}));
  }

  allocate(pod: Pod, containerName: string, hint: TopologyHint): Promise<AllocateResult> {
    const call = `allocate ${containerName}`;
    return this.act(`${call} ${describeMask(hint.numaAffinity)} ${hint.preferred ? 'preferred' : 'not-preferred'}`, () => {
      const refusal = this.script.refuse?.[containerName];
      if (refusal !== undefined) return { ok: false, ...refusal };
      return { ok: true, allocation: { podUID: pod.metadata?.uid ?? '', containerName } };
    }, call);
  }

  removeContainer(_podUID: string, containerName: string): Promise<void> {
    return this.act(`removeContainer ${containerName}`, () => undefined);
  }

  listAllocations(): Promise<AllocationList> {
    return Promise.resolve({ allocations: [], shared: null });
  }

  private act<T>(logged: string, answer: () => T, key = logged): Promise<T> {
    this.log.push(`${this.name} ${logged}`);
    if (this.script.hangs?.includes(key)) return new Promise<T>(() => undefined);
    const message = this.script.throws?.[key];
    if (message !== undefined) return Promise.reject(new Error(message));
    return Promise.resolve(answer());
  }

  private parse(resources: Record<string, unknown>): ProviderHints {
    return parseHintsDocument({ [this.name]: resources }, 'fixture', this.numaNodes).hints[0] as ProviderHints;
  }
}
