import { afterEach, beforeAll } from 'vitest';
import { IS_ROOT, PodAgent, SETUP_TIMEOUT_MS, setupContainerd, type PodAgentOptions, type RuntimeKind } from './pod-harness.js';

export interface PodSuiteOptions {
  /** Whether the suite's tests run here at all (default: as root); containerd is set up only then. */
  enabled?: boolean;
  /** Runs after each test, before its agent is disposed (e.g. bring a killed runtime back). */
  afterTest?: () => Promise<void>;
}

export interface PodSuite {
  /** Starts an agent on the suite's runtime; it is disposed after the test (an agent started later replaces it). */
  start(options?: Omit<PodAgentOptions, 'runtime' | 'endpoint'>): Promise<PodAgent>;
}

/**
 * The per-runtime frame of a pods suite run for each RuntimeKind: the project's containerd set
 * up once before the suite, and each test's agent disposed after the test.
 */
export function podSuite(runtime: RuntimeKind, { enabled = IS_ROOT, afterTest }: PodSuiteOptions = {}): PodSuite {
  let endpoint = '';
  let agent: PodAgent | undefined;

  beforeAll(async () => {
    if (enabled && runtime === 'containerd') endpoint = await setupContainerd();
  }, SETUP_TIMEOUT_MS);

  afterEach(async () => {
    await afterTest?.();
    await agent?.dispose();
    agent = undefined;
  }, afterTest ? SETUP_TIMEOUT_MS : 60_000);

  return {
    async start(options = {}) {
      agent = await PodAgent.start({ ...options, runtime, endpoint });
      return agent;
    },
  };
}
