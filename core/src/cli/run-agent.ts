import { createAgent } from '../agent/agent.js';
import { renderConfigYaml } from '../config/print-config.js';
import { acquireLockFile, type LockHandle } from '../config/lock-file.js';
import { loadAgentOptions } from '../config/load-config.js';
import { formatProblem } from '../config/problem.js';
import { validateForMachine } from '../config/machine-validation.js';
import { createLogger } from '../logging/logger.js';
import { loadMachineInfo } from '../machine/load-machine-info.js';
import { sumQuantities, type MachineInfo } from '@kernelet/sdk/common';

/** `kernelet [flags]`: runs the agent until SIGTERM or SIGINT. Returns the exit code. */
export async function runAgent(argv: readonly string[]): Promise<number> {
  const loaded = await loadAgentOptions(argv);
  if (!loaded.ok) {
    for (const warning of loaded.warnings ?? []) process.stderr.write(`warning: ${formatProblem(warning)}\n`);
    const n = loaded.problems.length;
    process.stderr.write(`kernelet: invalid configuration (${n} problem${n === 1 ? '' : 's'}); nothing was started:\n`);
    for (const problem of loaded.problems) process.stderr.write(`  ${formatProblem(problem)}\n`);
    return 1;
  }
  const { options } = loaded;
  if (options.kernelet.dryRun) {
    for (const warning of options.warnings) process.stderr.write(`warning: ${formatProblem(warning)}\n`);
    process.stdout.write(renderConfigYaml(options));
    return 0;
  }

  const logger = createLogger({ verbosity: options.kubelet.logging.verbosity ?? 0 });
  for (const warning of options.warnings) logger.warn({ field: warning.field }, warning.message);

  let lock: LockHandle | undefined;
  if (options.flags.lockFile) {
    lock = await acquireLockFile(options.flags.lockFile, {
      exitOnContention: options.flags.exitOnLockContention,
      onWaiting: () => logger.info({ lockFile: options.flags.lockFile }, 'waiting for the lock file; another agent holds it'),
      ...(options.flags.exitOnLockContention
        ? {
            onContention: () => {
              logger.info({ lockFile: options.flags.lockFile }, 'another agent wants the lock file; exiting');
              process.exit(0);
            },
          }
        : {}),
    });
  }

  let machine: MachineInfo | null = null;
  try {
    machine = await loadMachineInfo({ ...(options.kernelet.machineInfoFile ? { machineInfoFile: options.kernelet.machineInfoFile } : {}), logger });
  } catch (error) {
    if (options.kernelet.machineInfoFile) {
      process.stderr.write(`kernelet: ${(error as Error).message}\n`);
      await lock?.release();
      return 1;
    }
    logger.warn({ err: (error as Error).message }, 'cannot read the machine topology; plugins that need it will refuse to register');
  }
  if (machine) {
    const problems = validateForMachine(
      options,
      machine.numaNodes.map((n) => n.id),
      { cpuIds: machine.cpus.map((c) => c.id), memoryCapacityBytes: sumQuantities(machine.numaNodes.map((n) => n.memory)).value() },
    );
    if (problems.length > 0) {
      process.stderr.write(`kernelet: the configuration does not fit this machine; nothing was started:\n${problems.map((p) => `  ${formatProblem(p)}\n`).join('')}`);
      await lock?.release();
      return 1;
    }
  }

  const agent = createAgent(options, { logger, machine });
  try {
    await agent.start();
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'agent failed to start');
    await lock?.release();
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'agent stopping');
      void agent
        .stop()
        .then(() => lock?.release())
        .then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
