import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions } from '../config/agent-options.js';
import { PluginReadiness, type MissingPlugin, type ReadinessSource } from './plugin-readiness.js';
import type { PluginView, RegistryEvent } from './plugin-registry.js';

const TIMEOUT_MS = 30_000;

/** A registry seen from readiness: plugins by name and state, lost ones with the time they were lost. */
class FakeRegistry implements ReadinessSource {
  startedAt = 0;
  readonly views = new Map<string, PluginView>();
  readonly lostAt = new Map<string, number>();
  private readonly listeners = new Set<(event: RegistryEvent) => void>();

  list(): PluginView[] {
    return [...this.views.values()];
  }

  lost(): string[] {
    return [...this.lostAt.keys()].filter((name) => this.views.get(name)?.state !== 'registered');
  }

  missingSince(name: string): number {
    return this.lostAt.get(name) ?? this.startedAt;
  }

  onDidChange(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(name: string, state: PluginView['state']): void {
    this.views.set(name, {
      name,
      type: 'KerneletPlugin',
      services: ['v1alpha1.AdmitHandler'],
      endpoint: `/r/plugins_registry/${name}.sock`,
      socket: `/r/plugins_registry/${name}.sock`,
      state,
      lastError: state === 'registered' ? null : 'connection lost: the plugin does not answer',
      lastErrorTime: null,
      callFailures: 0,
      registeredSince: null,
      pid: null,
    });
    if (state === 'disconnected') this.lostAt.set(name, Date.now());
    for (const listener of this.listeners) listener({ kind: state === 'registered' ? 'bound' : 'unbound', name, services: [] });
  }
}

function readiness(registry: FakeRegistry, plugins: string[] = []): PluginReadiness {
  const options = { kernelet: { plugins, pluginFailurePolicies: {}, pluginReadyTimeoutMs: TIMEOUT_MS } } as unknown as AgentOptions;
  return new PluginReadiness(registry, options);
}

/** Starts a wait and records when it settles, in fake time. */
function track(wait: Promise<MissingPlugin[]>): { settledAt: number | undefined; result: MissingPlugin[] | undefined } {
  const state: { settledAt: number | undefined; result: MissingPlugin[] | undefined } = { settledAt: undefined, result: undefined };
  void wait.then((result) => {
    state.settledAt = Date.now();
    state.result = result;
  });
  return state;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PluginReadiness.waitForExpected', () => {
  it('gives a lost plugin one deadline from when it was lost: a later pod waits only for what remains, then none waits', async () => {
    const registry = new FakeRegistry();
    const ready = readiness(registry);
    const lostAt = Date.now();
    registry.set('cpu-manager', 'disconnected');

    await vi.advanceTimersByTimeAsync(10_000);
    const first = track(ready.waitForExpected());
    await vi.advanceTimersByTimeAsync(19_999);
    expect(first.settledAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(first.settledAt).toBe(lostAt + TIMEOUT_MS);
    expect(first.result).toEqual([{ name: 'cpu-manager', state: 'disconnected', lastError: 'connection lost: the plugin does not answer', since: lostAt }]);

    // Past the deadline, each further pod is answered at once, with the same verdict.
    for (let i = 0; i < 3; i++) {
      const next = track(ready.waitForExpected());
      await vi.advanceTimersByTimeAsync(0);
      expect(next.settledAt).toBe(lostAt + TIMEOUT_MS);
      expect(next.result).toEqual(first.result);
    }
  });

  it('counts from the agent\'s start for a configured plugin that never registered', async () => {
    const registry = new FakeRegistry();
    registry.startedAt = Date.now();
    const ready = readiness(registry, ['memory-manager']);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 5000);
    const wait = track(ready.waitForExpected());
    await vi.advanceTimersByTimeAsync(4999);
    expect(wait.settledAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(wait.result).toMatchObject([{ name: 'memory-manager', state: 'pending', since: registry.startedAt }]);
    const next = track(ready.waitForExpected());
    await vi.advanceTimersByTimeAsync(0);
    expect(next.settledAt).toBe(registry.startedAt + TIMEOUT_MS);
  });

  it('starts a new deadline when a plugin that came back is lost again', async () => {
    const registry = new FakeRegistry();
    const ready = readiness(registry);
    registry.set('cpu-manager', 'disconnected');
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + 5000);
    registry.set('cpu-manager', 'registered');
    expect(await ready.waitForExpected()).toEqual([]);

    await vi.advanceTimersByTimeAsync(1000);
    registry.set('cpu-manager', 'disconnected');
    const wait = track(ready.waitForExpected());
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 1);
    expect(wait.settledAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(wait.result).toMatchObject([{ name: 'cpu-manager', state: 'disconnected' }]);
  });

  it('returns as soon as the lost plugin registers again', async () => {
    const registry = new FakeRegistry();
    const ready = readiness(registry);
    registry.set('cpu-manager', 'disconnected');
    const wait = track(ready.waitForExpected());
    await vi.advanceTimersByTimeAsync(2000);
    registry.set('cpu-manager', 'registered');
    await vi.advanceTimersByTimeAsync(0);
    expect(wait.result).toEqual([]);
  });
});
