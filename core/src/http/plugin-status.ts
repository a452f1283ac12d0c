import { inject, injectable } from 'inversify';
import { PluginRegistry, type PluginView } from '../plugin-registry/plugin-registry.js';
import { PluginSupervisor, type SupervisedProcessView } from '../supervisor/plugin-supervisor.js';

export interface PluginStatusEntry extends PluginView {
  /** For first-party plugins the agent runs: the process carrying it. */
  process: SupervisedProcessView | null;
}

/**
 * What `GET /plugins` and `kernelet plugins` show: every socket the registry has seen (with
 * the supervised process carrying it, matched by the pid the plugin reported), and every
 * supervised process none of whose plugins has registered (state "pending").
 */
@injectable()
export class PluginStatus {
  constructor(
    @inject(PluginRegistry) private readonly registry: PluginRegistry,
    @inject(PluginSupervisor) private readonly supervisor: PluginSupervisor,
  ) {}

  list(): PluginStatusEntry[] {
    const processes = this.supervisor.view();
    const entries: PluginStatusEntry[] = this.registry
      .list()
      .map((view) => ({ ...view, process: processes.find((p) => p.pid !== null && p.pid === view.pid) ?? null }));
    for (const p of processes) {
      if (entries.some((e) => e.process === p)) continue;
      entries.push({
        name: p.plugins.join(','),
        type: '',
        services: [],
        endpoint: '',
        socket: '',
        state: 'pending',
        lastError: p.lastExit,
        lastErrorTime: null,
        callFailures: 0,
        registeredSince: null,
        pid: p.pid,
        process: p,
      });
    }
    return entries.sort((a, b) => a.name.localeCompare(b.name) || a.socket.localeCompare(b.socket));
  }
}
