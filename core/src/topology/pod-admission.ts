import type { Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import type { Logger } from 'pino';
import { rejected, type AdmitResult } from '../extension-points/admit-handler.js';
import type { HintProvider } from '../extension-points/hint-provider.js';
import type { AffinityStore, AllocationStore } from './affinity-store.js';
import { describeMask } from './mask-ranking.js';
import type { Policy } from './policy.js';
import { UNEXPECTED_ADMISSION_ERROR, type AdmissionSteps, type GatheredHints } from './scope.js';
import { DeadlineExceededError, withDeadline } from './with-deadline.js';

export interface PodAdmissionSettings {
  pod: Pod;
  podUID: string;
  policy: Policy;
  providers: readonly HintProvider[];
  store: AffinityStore;
  allocations: AllocationStore;
  deadlineMs: number;
  logger: Logger;
}

/**
 * One pod's admission: calls the providers under a deadline, records hints, and
 * remembers what it allocated so a rejected pod gives everything back.
 *
 * Failure policy (the HintProvider contract): a provider that throws or misses its
 * deadline rejects the pod with UnexpectedAdmissionError naming the provider; the
 * pod is never placed as if that provider had no preference.
 */
export class PodAdmission implements AdmissionSteps {
  readonly pod: Pod;
  readonly policy: Policy;
  /** Every provider asked to allocate, so a rejected pod releases whatever any of them holds. */
  private readonly allocated: { containerName: string; provider: HintProvider }[] = [];
  private readonly recorded = new Set<string>();

  constructor(private readonly settings: PodAdmissionSettings) {
    this.pod = settings.pod;
    this.policy = settings.policy;
  }

  /** Asks every provider at once (the answers are independent); the result keeps provider order. */
  async gatherHints(containerName?: string): Promise<GatheredHints> {
    const { pod, providers } = this.settings;
    const method = containerName === undefined ? 'getPodTopologyHints' : 'getTopologyHints';
    const answers = await Promise.all(
      providers.map(async (provider) => {
        const started = performance.now();
        try {
          const answer = await withDeadline(
            () => (containerName === undefined ? provider.getPodTopologyHints(pod) : provider.getTopologyHints(pod, containerName)),
            this.settings.deadlineMs,
          );
          if (!(answer instanceof Map)) throw new TypeError(`${method} answered ${describeValue(answer)}, not a map of resource hints`);
          // Summarizing every hint costs more than the merge on large machines: only when it is logged.
          if (this.settings.logger.isLevelEnabled('debug')) {
            this.settings.logger.debug(
              { plugin: provider.name, method, containerName, durationMs: elapsed(started), hints: summarize(answer) },
              'topology hints',
            );
          }
          return { ok: true as const, answer };
        } catch (err) {
          this.callFailed(provider, method, err, started, containerName);
          return { ok: false as const, provider, err };
        }
      }),
    );
    const hints: ProviderHints[] = [];
    for (const a of answers) {
      if (!a.ok) return { ok: false, result: unexpected(`Topology hints failed due to hint provider "${a.provider.name}": ${reasonOf(a.err)}`) };
      hints.push(a.answer);
    }
    return { ok: true, hints };
  }

  /**
   * Has every provider allocate at once (the hint is chosen; their allocations are
   * independent). The pod is rejected with the first failure in provider order, and a
   * rejected pod's rollback asks every provider that was called to release the container
   * (release is idempotent), so the result is the same as allocating one after another.
   */
  async allocate(containerName: string, hint: TopologyHint): Promise<AdmitResult | undefined> {
    const { pod, podUID, providers, store } = this.settings;
    store.set(podUID, containerName, hint);
    this.recorded.add(containerName);
    const outcomes = await Promise.all(
      providers.map(async (provider) => {
        const started = performance.now();
        this.allocated.push({ containerName, provider });
        try {
          return { provider, started, outcome: await withDeadline(() => provider.allocate(pod, containerName, hint), this.settings.deadlineMs) };
        } catch (err) {
          this.callFailed(provider, 'allocate', err, started, containerName);
          return { provider, started, err };
        }
      }),
    );
    for (const { provider, started, outcome, err } of outcomes) {
      if (!outcome) return unexpected(`Allocate failed due to hint provider "${provider.name}": ${reasonOf(err)}`);
      if (!outcome.ok) {
        this.settings.logger.info(
          { plugin: provider.name, containerName, reason: outcome.reason, message: outcome.message, durationMs: elapsed(started) },
          'hint provider refused the allocation',
        );
        return rejected(outcome.reason, outcome.message);
      }
      const given = this.settings.allocations.get(podUID, containerName) ?? [];
      this.settings.allocations.set(podUID, containerName, [...given, outcome.allocation]);
    }
    return undefined;
  }

  decided(hint: TopologyHint, admit: boolean, containerName?: string): void {
    this.settings.logger.info(
      { containerName, bestHint: { numaAffinity: describeMask(hint.numaAffinity), preferred: hint.preferred }, admit, policy: this.policy.name },
      'best topology hint',
    );
  }

  /**
   * Undoes a rejected admission: forgets the hints recorded for this pod and asks each
   * provider to release what it allocated (upstream leaves that to the managers'
   * periodic stale-state cleanup; releasing at once frees the resources sooner).
   * Release failures are logged, never thrown: the pod is rejected either way.
   */
  async rollback(): Promise<void> {
    const { podUID, store } = this.settings;
    for (const containerName of this.recorded) {
      store.removeContainer(podUID, containerName);
      this.settings.allocations.removeContainer(podUID, containerName);
    }
    for (const { containerName, provider } of this.allocated.reverse()) {
      const started = performance.now();
      try {
        await withDeadline(() => provider.removeContainer(podUID, containerName), this.settings.deadlineMs);
      } catch (err) {
        this.callFailed(provider, 'removeContainer', err, started, containerName);
      }
    }
  }

  private callFailed(provider: HintProvider, method: string, err: unknown, started: number, containerName?: string): void {
    const fields: Record<string, unknown> = { plugin: provider.name, method, containerName, durationMs: elapsed(started), err };
    if (err instanceof DeadlineExceededError) fields['deadlineMs'] = err.deadlineMs;
    this.settings.logger.warn(fields, 'hint provider call failed');
  }
}

function unexpected(cause: string): AdmitResult {
  return rejected(UNEXPECTED_ADMISSION_ERROR, `${cause}, which is unexpected`);
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function summarize(hints: ProviderHints): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [resource, list] of hints) {
    out[resource] = list === null ? 'no preference' : list.map((h) => `${describeMask(h.numaAffinity)}${h.preferred ? '' : '?'}`).join(' ');
  }
  return out;
}
