import type { ContainerStatus, Pod } from '@kernelet/sdk/common';
import type { Command } from './command.js';

/** `kernelet pods`: the pods the running agent on this node knows, as `kubectl get pods -o wide` shows them. */
export const podsCommand: Command = {
  name: 'pods',
  summary: 'list the pods of the running agent with their status, readiness and restarts',
  async run(argv) {
    let port = 10248;
    let address = '127.0.0.1';
    let json = false;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? '';
      const eq = arg.indexOf('=');
      const [flag, inline] = eq > 0 && arg.startsWith('--') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
      const value = () => inline ?? argv[++i] ?? '';
      if (flag === '--healthz-port') port = Number(value());
      else if (flag === '--healthz-bind-address') address = value();
      else if (flag === '--json' || flag === '-o=json' || (flag === '-o' && value() === 'json')) json = true;
      else {
        process.stderr.write(`kernelet pods: unknown flag ${flag}\nusage: kernelet pods [--healthz-port PORT] [--healthz-bind-address ADDR] [--json]\n`);
        return 2;
      }
    }
    const host = address === '0.0.0.0' || address === '' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
    let pods: Pod[];
    try {
      const response = await fetch(`http://${host}:${port}/pods`, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      pods = ((await response.json()) as { items?: Pod[] }).items ?? [];
    } catch (error) {
      process.stderr.write(`kernelet pods: cannot reach the agent at ${host}:${port}: ${(error as Error).message}\n`);
      return 1;
    }
    if (json) {
      process.stdout.write(`${JSON.stringify(pods, null, 2)}\n`);
      return 0;
    }
    if (pods.length === 0) {
      process.stdout.write('No pods.\n');
      return 0;
    }
    process.stdout.write(podsTable(pods, Date.now()));
    return 0;
  },
};

export function podsTable(pods: readonly Pod[], now: number): string {
  const header = ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'MESSAGE'];
  const rows = pods.map((p) => {
    const statuses = p.status?.containerStatuses ?? [];
    // Sidecars count as containers of the pod, as kubectl counts them.
    const sidecars = new Set((p.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
    const sidecarStatuses = (p.status?.initContainerStatuses ?? []).filter((s) => sidecars.has(s.name));
    const ready = [...sidecarStatuses.filter((s) => s.started === true), ...statuses].filter((s) => s.ready).length;
    const total = (p.spec?.containers?.length ?? statuses.length) + sidecars.size;
    const restarts = [...statuses, ...(p.status?.initContainerStatuses ?? [])].reduce((n, s) => n + (s.restartCount ?? 0), 0);
    const since = Date.parse(String(p.status?.startTime ?? p.metadata?.creationTimestamp ?? ''));
    return [
      p.metadata?.namespace ?? '',
      p.metadata?.name ?? '',
      `${ready}/${total}`,
      podStatusText(p),
      String(restarts),
      Number.isFinite(since) ? age(now - since) : '<unknown>',
      p.status?.podIP || '<none>',
      p.status?.message ?? waitingMessage(statuses) ?? '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => `${r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('   ').trimEnd()}\n`).join('');
}

/** The STATUS column, as kubectl prints it: a waiting or terminated reason beats the phase. */
export function podStatusText(pod: Pod): string {
  let reason = pod.status?.reason || pod.status?.phase || 'Pending';
  const inits = pod.status?.initContainerStatuses ?? [];
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let initializing = false;
  inits.forEach((s, i) => {
    if (initializing) return;
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) return;
    // A sidecar that started has done its part of the initialization.
    if (sidecars.has(s.name) && s.started === true) return;
    initializing = true;
    if (t) reason = `Init:${t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`)}`;
    else if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing') reason = `Init:${s.state.waiting.reason}`;
    else reason = `Init:${i}/${pod.spec?.initContainers?.length ?? inits.length}`;
  });
  if (!initializing) {
    let running = false;
    for (const s of [...(pod.status?.containerStatuses ?? [])].reverse()) {
      if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
      else if (s.state?.terminated) {
        const t = s.state.terminated;
        reason = t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`);
      } else if (s.ready && s.state?.running) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (pod.metadata?.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function waitingMessage(statuses: readonly ContainerStatus[]): string | undefined {
  return statuses.map((s) => s.state?.waiting?.message).find((m) => m);
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 && m < 10 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 && h < 10 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}
