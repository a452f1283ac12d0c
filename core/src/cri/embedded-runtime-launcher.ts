#!/usr/bin/env node
/**
 * Starts kernelet's embedded CRI runtime, in a process of its own: the agent runs this
 * script (`node embedded-runtime-launcher.js '<options JSON>'`) when nothing answers on the
 * embedded runtime's socket. It loads the runtime package at run time and calls its
 * ensureEmbeddedRuntime, which starts the daemon detached (it outlives the agent), waits
 * until it answers, and prints {"pid":..,"started":..} on stdout. The agent process itself
 * never loads plugin code: it knows the package by name only, as it knows plugins.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The package of kernelet's embedded runtime. */
export const EMBEDDED_RUNTIME_PACKAGE = '@kernelet/plugin-embedded-runtime';

interface EnsureModule {
  ensureEmbeddedRuntime(options: { socketPath: string; rootDir: string; logFile: string }): Promise<{ pid: number; started: boolean }>;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as { socketPath: string; rootDir: string; logFile: string };
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(EMBEDDED_RUNTIME_PACKAGE);
  } catch {
    throw new Error(`${EMBEDDED_RUNTIME_PACKAGE} is not installed: install it, or set containerRuntimeEndpoint to a CRI runtime (containerd, CRI-O)`);
  }
  const module = (await import(pathToFileURL(entry).href)) as Partial<EnsureModule>;
  if (typeof module.ensureEmbeddedRuntime !== 'function') throw new Error(`${EMBEDDED_RUNTIME_PACKAGE} (${entry}) has no ensureEmbeddedRuntime`);
  const result = await module.ensureEmbeddedRuntime(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
