import { createAgent } from '../agent/agent.js';
import { loadAgentOptions } from '../config/load-config.js';
import { createLogger } from '../logging/logger.js';

/** `kernelet [flags]`: runs the agent until SIGTERM or SIGINT. Returns the exit code. */
export async function runAgent(argv: readonly string[]): Promise<number> {
  const loaded = await loadAgentOptions(argv);
  if (!loaded.ok) {
    process.stderr.write(`kernelet: invalid configuration:\n${loaded.problems.map((p) => `  ${p.field}: ${p.message}\n`).join('')}`);
    return 1;
  }
  const { options } = loaded;
  const logger = createLogger();
  const agent = createAgent(options, { logger });
  try {
    await agent.start();
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'agent failed to start');
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'agent stopping');
      void agent.stop().then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
