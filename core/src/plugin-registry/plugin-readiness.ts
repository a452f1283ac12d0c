import { inject, injectable } from 'inversify';
import { AgentOptions } from '../config/agent-options.js';
import { PluginRegistry, type PluginView } from './plugin-registry.js';

export interface MissingPlugin {
  name: string;
  /** The registry's state for it, or "pending" when its socket has not appeared yet. */
  state: string;
  lastError: string | null;
}

/**
 * Which plugins admission must not go without: the first-party plugins the operator named
 * (`--plugins cpu-manager,...`) and any plugin that registered since the agent started and
 * whose socket is still there (it crashed or hangs; its restart is expected). Plugins whose
 * failure policy is Ignore are never waited for. A plugin whose socket was removed left on
 * purpose and is no longer expected.
 */
@injectable()
export class PluginReadiness {
  private readonly configured: readonly string[];

  constructor(
    @inject(PluginRegistry) private readonly registry: PluginRegistry,
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
      missing.push({ name, state: record?.state ?? 'pending', lastError: record?.lastError ?? null });
    }
    return missing;
  }

  /**
   * Resolves with the plugins still missing when every expected plugin is registered (an
   * empty list), when one was refused (waiting will not help), or when the time is up.
   */
  async waitForExpected(timeoutMs: number = this.options.kernelet.pluginReadyTimeoutMs): Promise<MissingPlugin[]> {
    const settled = (m: MissingPlugin[]) => m.length === 0 || m.some((p) => p.state === 'rejected');
    let missing = this.missing();
    if (settled(missing)) return missing;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(250, Math.max(0, deadline - Date.now())));
        const stop = this.registry.onDidChange(done);
        function done() {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
      missing = this.missing();
      if (settled(missing)) return missing;
    }
    return missing;
  }
}
