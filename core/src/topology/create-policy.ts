import type { ClosureStrategy } from './and-closure.js';
import type { NUMAInfo } from './numa-info.js';
import type { Policy, PolicyName } from './policy.js';
import { BestEffortPolicy } from './policy-best-effort.js';
import { NonePolicy } from './policy-none.js';
import type { PolicyOptions } from './policy-options.js';
import { RestrictedPolicy } from './policy-restricted.js';
import { SingleNumaNodePolicy } from './policy-single-numa-node.js';

export function createPolicy(name: PolicyName, numa: NUMAInfo, options: PolicyOptions, strategy: ClosureStrategy = 'auto'): Policy {
  switch (name) {
    case 'none':
      return new NonePolicy();
    case 'best-effort':
      return new BestEffortPolicy(numa, options, strategy);
    case 'restricted':
      return new RestrictedPolicy(numa, options, strategy);
    case 'single-numa-node':
      return new SingleNumaNodePolicy(numa, strategy);
  }
}
