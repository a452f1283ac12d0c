import { inject, injectable } from 'inversify';
import { PluginRegistry, type PluginView } from '../plugin-registry/plugin-registry.js';
import { PluginSupervisor, type SupervisedProcessView } from '../supervisor/plugin-supervisor.js';

export interface PluginStatusEntry extends PluginView {
  /** For first-party plugins the agent runs: the process carrying it. */
  process: SupervisedProcessView | null;
}

/**
 * What `GET /plugins` and `kernelet plugins` show: every socket the registry has seen, and
 * every plugin the agent was told to run but that has not registered (state "pending").
 */
@injectable()
export class PluginStatus {
  constructor(
    @inject(PluginRegistry) private readonly registry: PluginRegistry,
    @inject(PluginSupervisor) private readonly supervisor: PluginSupervisor,
  ) {}

  list(): PluginStatusEntry[] {
    const processes = this.supervisor.view();
    const processOf = (name: string) => processes.find((p) => p.plugins.includes(name)) ?? null;
    const entries: PluginStatusEntry[] = this.registry.list().map((view) => ({ ...view, process: processOf(view.name) }));
    for (const p of processes) {
      for (const plugin of p.plugins) {
        if (entries.some((e) => e.name === plugin && e.state === 'registered')) continue;
        if (entries.some((e) => e.name === plugin)) continue;
        entries.push({
          name: plugin,
          type: '',
          services: [],
          endpoint: '',
          socket: '',
          state: 'pending',
          lastError: p.lastExit,
          registeredSince: null,
          process: p,
        });
      }
    }
    return entries.sort((a, b) => a.name.localeCompare(b.name) || a.socket.localeCompare(b.socket));
  }
}
