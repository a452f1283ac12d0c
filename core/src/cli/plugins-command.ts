import type { Command } from './command.js';

/** `kernelet plugins`: what the running agent on this node has registered. */
export const pluginsCommand: Command = {
  name: 'plugins',
  summary: 'list the plugins the running agent has found, with their state',
  async run(argv) {
    let port = 10248;
    let address = '127.0.0.1';
    let json = false;
    for (let i = 0; i < argv.length; i++) {
      const [flag, inline] = splitFlag(argv[i] ?? '');
      const value = () => inline ?? argv[++i] ?? '';
      if (flag === '--healthz-port') port = Number(value());
      else if (flag === '--healthz-bind-address') address = value();
      else if (flag === '--json' || flag === '-o=json') json = true;
      else {
        process.stderr.write(`kernelet plugins: unknown flag ${flag}\nusage: kernelet plugins [--healthz-port PORT] [--healthz-bind-address ADDR] [--json]\n`);
        return 2;
      }
    }
    const host = address === '0.0.0.0' || address === '' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
    let rows: PluginRow[];
    try {
      const response = await fetch(`http://${host}:${port}/plugins`, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      rows = (await response.json()) as PluginRow[];
    } catch (error) {
      process.stderr.write(`kernelet plugins: cannot reach the agent at ${host}:${port}: ${(error as Error).message}\n`);
      return 1;
    }
    if (json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(table(rows));
    return 0;
  },
};

interface PluginRow {
  name: string;
  state: string;
  services: string[];
  socket: string;
  registeredSince: string | null;
  lastError: string | null;
}

function table(rows: readonly PluginRow[]): string {
  const header = ['NAME', 'STATE', 'SERVICES', 'SOCKET', 'SINCE', 'LAST ERROR'];
  const cells = rows.map((r) => [r.name || '-', r.state, r.services.join(',') || '-', r.socket || '-', r.registeredSince ?? '-', r.lastError ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  return [header, ...cells].map((c) => `${c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ')}\n`).join('');
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq > 0 && arg.startsWith('--') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}
