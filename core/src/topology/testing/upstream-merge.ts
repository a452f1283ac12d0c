import type { NUMAMask, ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import { maskCount, maskIds, maskOf } from '@kernelet/sdk/common';
import type { MergeResult, PolicyName } from '../policy.js';

/**
 * A plain restatement of the upstream kubelet's merge, for tests only: it walks the
 * whole cross product of the providers' hints (exponential, as upstream) and keeps a
 * running best with the same case-by-case comparison. The production merge
 * (hint-merger.ts) must agree with it on every input.
 */
export interface ReferenceMachine {
  nodes: readonly number[];
  /** distances[from][to], by node id. */
  distances?: ReadonlyMap<number, ReadonlyMap<number, number>>;
}

export function upstreamMerge(
  providersHints: readonly ProviderHints[],
  policy: PolicyName,
  machine: ReferenceMachine,
  preferClosest = false,
): MergeResult {
  if (policy === 'none') return { bestHint: { numaAffinity: null, preferred: false }, admit: true };
  const all = maskOf(machine.nodes);

  let lists: TopologyHint[][] = [];
  for (const perResource of providersHints) {
    if (perResource.size === 0) {
      lists.push([{ numaAffinity: null, preferred: true }]);
      continue;
    }
    for (const hints of perResource.values()) {
      if (hints === null) lists.push([{ numaAffinity: null, preferred: true }]);
      else if (hints.length === 0) lists.push([{ numaAffinity: null, preferred: false }]);
      else lists.push([...hints]);
    }
  }
  if (policy === 'single-numa-node') {
    lists = lists.map((list) => list.filter((h) => h.preferred && (h.numaAffinity === null || maskCount(h.numaAffinity) === 1)));
  }

  // The largest, over lists, of the node count of each list's narrowest hint.
  let bestNonPreferredCount = 0;
  for (const list of lists) {
    let narrowest: NUMAMask | undefined;
    for (const h of list) {
      if (h.numaAffinity === null) continue;
      if (narrowest === undefined || narrower(h.numaAffinity, narrowest)) narrowest = h.numaAffinity;
    }
    if (narrowest !== undefined && maskCount(narrowest) > bestNonPreferredCount) bestNonPreferredCount = maskCount(narrowest);
  }

  const useClosest = preferClosest && policy !== 'single-numa-node';
  const average = (mask: NUMAMask): number => {
    const ids = maskIds(mask);
    if (ids.length === 0) return 0;
    let sum = 0;
    let count = 0;
    for (const a of ids) {
      for (const b of ids) {
        sum += machine.distances?.get(a)?.get(b) ?? Number.NaN;
        count++;
      }
    }
    return sum / count;
  };
  const fitter = (current: TopologyHint, candidate: TopologyHint): TopologyHint => {
    const cur = current.numaAffinity as NUMAMask;
    const cand = candidate.numaAffinity as NUMAMask;
    if (cur === cand) return current;
    let winner: NUMAMask;
    if (useClosest && maskCount(cur) === maskCount(cand)) {
      const dCur = average(cur);
      const dCand = average(cand);
      if (dCur === dCand) winner = cur < cand ? cur : cand;
      else winner = dCur < dCand ? cur : cand;
    } else {
      winner = narrower(cur, cand) ? cur : cand;
    }
    return winner === cur ? current : candidate;
  };
  const compare = (current: TopologyHint | undefined, candidate: TopologyHint): TopologyHint | undefined => {
    const candCount = maskCount(candidate.numaAffinity as NUMAMask);
    if (candCount === 0) return current;
    if (current === undefined) return candidate;
    if (!current.preferred && candidate.preferred) return candidate;
    if (current.preferred && !candidate.preferred) return current;
    if (current.preferred && candidate.preferred) return fitter(current, candidate);
    const curCount = maskCount(current.numaAffinity as NUMAMask);
    const target = bestNonPreferredCount;
    if (curCount > target) return fitter(current, candidate);
    if (curCount === target) return candCount !== target ? current : fitter(current, candidate);
    if (candCount > target) return current;
    if (candCount === target) return candidate;
    if (candCount > curCount) return candidate;
    if (candCount < curCount) return current;
    return fitter(current, candidate);
  };

  let best: TopologyHint | undefined;
  const walk = (i: number, chosen: TopologyHint[]): void => {
    if (i === lists.length) {
      let preferred = true;
      let merged = all;
      let first: NUMAMask | undefined;
      for (const h of chosen) {
        if (h.numaAffinity !== null) {
          merged &= h.numaAffinity;
          if (first === undefined) first = h.numaAffinity;
          else if (h.numaAffinity !== first) preferred = false;
        }
        if (!h.preferred) preferred = false;
      }
      best = compare(best, { numaAffinity: merged, preferred });
      return;
    }
    for (const h of lists[i] as TopologyHint[]) walk(i + 1, [...chosen, h]);
  };
  walk(0, []);

  let bestHint: TopologyHint = best ?? { numaAffinity: all, preferred: false };
  if (policy === 'single-numa-node' && bestHint.numaAffinity === all) bestHint = { numaAffinity: null, preferred: bestHint.preferred };
  const admit = policy === 'best-effort' ? true : bestHint.preferred;
  return { bestHint, admit };
}

function narrower(a: NUMAMask, b: NUMAMask): boolean {
  return maskCount(a) === maskCount(b) ? a < b : maskCount(a) < maskCount(b);
}
