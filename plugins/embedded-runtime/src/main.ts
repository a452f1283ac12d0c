#!/usr/bin/env node
import './threadpool.js';
import { parseArgs } from 'node:util';
import { RUNTIME_VERSION } from './cri-service.js';
import { DEFAULT_CGROUP_ROOT, DEFAULT_ROOT_DIR, DEFAULT_SOCKET_PATH, DEFAULT_STOP_GRACE_MS } from './defaults.js';
import { createRuntimeLogger } from './logger.js';
import { importImage } from './oci-import.js';
import { startEmbeddedRuntime } from './server.js';

const USAGE = `usage:
  kernelet-embedded-runtime [--socket PATH] [--root DIR] [--cgroup-root NAME] [--no-cgroups]
                            [--stop-grace SECONDS] [--log-level LEVEL]
      serve CRI (runtime.v1 RuntimeService and ImageService) on a unix socket
      defaults: --socket ${DEFAULT_SOCKET_PATH} --root ${DEFAULT_ROOT_DIR} --cgroup-root ${DEFAULT_CGROUP_ROOT}
  kernelet-embedded-runtime import SOURCE [--name REF] [--root DIR] [--force]
      unpack an OCI image layout (directory or tar) or a docker save tar into the image store
  kernelet-embedded-runtime --version`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'import') return runImport(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      socket: { type: 'string', default: DEFAULT_SOCKET_PATH },
      root: { type: 'string', default: DEFAULT_ROOT_DIR },
      'cgroup-root': { type: 'string', default: DEFAULT_CGROUP_ROOT },
      'no-cgroups': { type: 'boolean', default: false },
      'stop-grace': { type: 'string', default: String(DEFAULT_STOP_GRACE_MS / 1000) },
      'log-level': { type: 'string', default: process.env['KERNELET_LOG_LEVEL'] ?? 'info' },
      version: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`kernelet-embedded-runtime ${RUNTIME_VERSION}\n`);
    return 0;
  }
  const graceSeconds = Number(values['stop-grace']);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) throw new Error(`invalid --stop-grace "${values['stop-grace']}" (want seconds ≥ 0)`);

  const logger = createRuntimeLogger(values['log-level']);
  const server = await startEmbeddedRuntime({
    socketPath: values.socket,
    rootDir: values.root,
    cgroupRoot: values['cgroup-root'],
    cgroups: values['no-cgroups'] ? 'off' : 'auto',
    logger,
  });

  process.on('uncaughtException', (err) => {
    // Containers keep running; the next runtime instance adopts them.
    logger.fatal({ err }, 'uncaught exception; exiting without stopping containers');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  process.on('SIGHUP', () => logger.info({}, 'SIGHUP ignored'));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping every container and exiting');
    void server.close({ stopContainers: true, graceMs: graceSeconds * 1000 }).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}

async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      root: { type: 'string', default: DEFAULT_ROOT_DIR },
      force: { type: 'boolean', default: false },
    },
  });
  const source = positionals[0];
  if (source === undefined || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const imported = await importImage({
    rootDir: values.root,
    source,
    force: values.force,
    ...(values.name !== undefined ? { name: values.name } : {}),
  });
  process.stdout.write(`${JSON.stringify(imported)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`kernelet-embedded-runtime: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
