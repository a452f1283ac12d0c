import type { AgentOptions } from './agent-options.js';

export interface ConfigProblem {
  /** Field path, e.g. "evictionHard[memory.available]" or "--max-pods". */
  field: string;
  message: string;
}

export type LoadResult = { ok: true; options: AgentOptions } | { ok: false; problems: ConfigProblem[] };

/**
 * Builds the agent's options from its command line (flags, --config, --config-dir).
 * (Stub: the configuration work replaces it with the full kubelet flag set and merge order.)
 */
export async function loadAgentOptions(argv: readonly string[], _cwd: string = process.cwd()): Promise<LoadResult> {
  const options: AgentOptions = {
    kubelet: {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      healthzPort: 10248,
      healthzBindAddress: '127.0.0.1',
    },
    flags: { rootDir: '/var/lib/kubelet' },
    kernelet: { plugins: [], pluginIsolation: 'shared', pluginCallTimeoutMs: 2000 },
  };
  const problems = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/_/g, '-');
    const value = eq >= 0 ? arg.slice(eq + 1) : (argv[++i] ?? '');
    switch (name) {
      case '--root-dir':
        options.flags.rootDir = value;
        break;
      case '--healthz-port':
        options.kubelet.healthzPort = Number(value);
        break;
      case '--healthz-bind-address':
        options.kubelet.healthzBindAddress = value;
        break;
      case '--plugins':
        options.kernelet.plugins = value.split(',').filter(Boolean);
        break;
      case '--plugin-isolation':
        options.kernelet.pluginIsolation = value === 'process' ? 'process' : 'shared';
        break;
      case '--plugin-call-timeout':
        options.kernelet.pluginCallTimeoutMs = Number(value.replace(/ms$/, ''));
        break;
      case '--pod-manifest-path':
        options.kubelet.staticPodPath = value;
        break;
      default:
        problems.push({ field: name, message: `unknown flag: ${name}` });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, options };
}
