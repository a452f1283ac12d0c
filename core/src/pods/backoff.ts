/** A clock in milliseconds, injectable for tests. */
export type Clock = () => number;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/**
 * Per-key exponential backoff with the semantics of client-go's flowcontrol.Backoff, which the
 * kubelet uses for crash loops and image pulls: the first `next` sets the initial delay, each
 * further one doubles it up to the maximum, and an entry not touched for twice the maximum is
 * forgotten (so a container that ran 10 minutes at the 5-minute cap starts over at the initial
 * delay). No jitter, as the kubelet's.
 */
export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly clock: Clock = Date.now,
  ) {}

  /** The current delay for key (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records a failure at eventTime: starts or doubles the delay. */
  next(key: string, eventTime: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(eventTime, entry)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.clock() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = this.clock();
  }

  /** True while now is within the delay counted from eventTime (the last exit of a crash-looping container). */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(this.clock(), entry)) return false;
    return this.clock() - eventTime < entry.backoffMs;
  }

  /** True while eventTime is within the delay counted from the last failure (image pulls). */
  isInBackOffSinceUpdate(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(this.clock(), entry)) return false;
    return eventTime - entry.lastUpdate < entry.backoffMs;
  }

  /** Milliseconds until the delay counted from eventTime ends (0 when not backing off). */
  remainingSince(key: string, eventTime: number): number {
    if (!this.isInBackOffSince(key, eventTime)) return 0;
    return Math.max(0, eventTime + (this.entries.get(key)?.backoffMs ?? 0) - this.clock());
  }

  /** Milliseconds until the delay counted from the last failure ends (0 when not backing off). */
  remainingSinceUpdate(key: string): number {
    const entry = this.entries.get(key);
    if (!entry || !this.isInBackOffSinceUpdate(key, this.clock())) return 0;
    return Math.max(0, entry.lastUpdate + entry.backoffMs - this.clock());
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets entries not touched for twice the maximum delay. */
  gc(): void {
    const now = this.clock();
    for (const [key, entry] of this.entries) if (this.expired(now, entry)) this.entries.delete(key);
  }

  /** Forgets every entry whose key starts with prefix (a pod that is gone). */
  deletePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private expired(now: number, entry: Entry): boolean {
    return now - entry.lastUpdate > this.maxMs * 2;
  }
}
