import { injectable } from 'inversify';

/** What the agent knows of its container runtime, for the Ready condition and the pod workers (upstream runtimeState). */
@injectable()
export class RuntimeState {
  private runtimeError: string | undefined = 'container runtime status check may not have completed yet';
  private networkError: string | undefined;
  private readonly health = new Map<string, () => { ok: boolean; message: string }>();
  private readonly listeners = new Set<(up: boolean) => void>();
  /** "containerd://1.6.20" once the version handshake is done. */
  runtimeVersion = '';
  runtimeName = '';

  /** The result of a runtime Status check: undefined error means the runtime answered and is ready. */
  setRuntime(error: string | undefined): void {
    const wasUp = this.runtimeError === undefined;
    this.runtimeError = error;
    const up = error === undefined;
    if (up !== wasUp) for (const l of this.listeners) l(up);
  }

  setNetwork(error: string | undefined): void {
    this.networkError = error;
  }

  /** Adds a health check that must pass for the node to be ready (the PLEG's). */
  addHealthCheck(name: string, check: () => { ok: boolean; message: string }): void {
    this.health.set(name, check);
  }

  /** Listens for the runtime going down (false) and coming back (true). */
  onRuntimeChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True while the runtime answers; pod workers do not sync pods otherwise. */
  get runtimeUp(): boolean {
    return this.runtimeError === undefined;
  }

  /** Everything that keeps the node from being ready, as upstream words it. */
  errors(): string[] {
    const out: string[] = [];
    if (this.runtimeError) out.push(this.runtimeError);
    for (const [name, check] of this.health) {
      const r = check();
      if (!r.ok) out.push(`${name} is not healthy: ${r.message}`);
    }
    if (this.networkError) out.push(this.networkError);
    return out;
  }
}
