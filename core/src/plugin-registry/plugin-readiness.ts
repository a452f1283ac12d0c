import { inject, injectable } from 'inversify';
import { AgentOptions } from '../config/agent-options.js';
import { PluginRegistry, type PluginView } from './plugin-registry.js';

export interface MissingPlugin {
  name: string;
  /** The registry's state for it, or "pending" when its socket has not appeared yet. */
  state: string;
  lastError: string | null;
  /** Since when it has been missing (epoch ms): when it was lost, or when the agent started. */
  since: number;
}

/** What readiness reads from the plugin registry. */
export type ReadinessSource = Pick<PluginRegistry, 'list' | 'lost' | 'missingSince' | 'onDidChange'>;

/** The longest admission sleeps between looks at the registry (not every change is an event). */
const RECHECK_MS = 250;

/**
 * Which plugins admission must not go without: the first-party plugins the operator named
 * (`--plugins cpu-manager,...`) and any plugin that registered since the agent started and
 * whose socket is still there (it crashed or hangs; its restart is expected). Plugins whose
 * failure policy is Ignore are never waited for. A plugin whose socket was removed left on
 * purpose and is no longer expected.
 *
 * Each missing plugin has one deadline, --plugin-ready-timeout after it went missing (it was
 * unbound, or the agent started): pods wait for what remains of it, and once it has passed
 * every pod is answered at once, not after a wait of its own.
 */
@injectable()
export class PluginReadiness {
  private readonly configured: readonly string[];

  constructor(
    @inject(PluginRegistry) private readonly registry: ReadinessSource,
    @inject(AgentOptions) private readonly options: AgentOptions,
  ) {
    this.configured = options.kernelet.plugins.filter((p) => /^[a-z0-9][-a-z0-9]*$/.test(p));
  }

  missing(): MissingPlugin[] {
    const views = this.registry.list();
    const ignore = this.options.kernelet.pluginFailurePolicies;
    const missing: MissingPlugin[] = [];
    const lost = this.registry.lost();
    for (const name of new Set([...this.configured, ...lost])) {
      if (ignore[name] === 'Ignore') continue;
      const records = views.filter((v) => v.name === name);
      if (records.some((v) => v.state === 'registered')) continue;
      if (records.length === 0 && !this.configured.includes(name) && !lost.includes(name)) continue;
      const record: PluginView | undefined = records[0];
      missing.push({ name, state: record?.state ?? 'pending', lastError: record?.lastError ?? null, since: this.registry.missingSince(name) });
    }
    return missing;
  }

  /**
   * Resolves with the plugins still missing when every expected plugin is registered (an
   * empty list), when one was refused (waiting will not help), or when the deadline of one
   * that is still missing has passed (timeoutMs after it went missing).
   */
  async waitForExpected(timeoutMs: number = this.options.kernelet.pluginReadyTimeoutMs): Promise<MissingPlugin[]> {
    for (;;) {
      const missing = this.missing();
      if (missing.length === 0 || missing.some((p) => p.state === 'rejected')) return missing;
      const remainingMs = Math.min(...missing.map((p) => p.since + timeoutMs)) - Date.now();
      if (remainingMs <= 0) return missing;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(RECHECK_MS, remainingMs));
        const stop = this.registry.onDidChange(done);
        function done() {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
    }
  }
}
