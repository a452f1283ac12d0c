import type { Container, Pod } from '@kernelet/sdk/common';
import type { RuntimeService } from './runtime-service.js';
import { errorText } from './cri-error.js';

/** A container lifecycle handler (postStart / preStop), as the pod spec writes it. */
export interface LifecycleHandler {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  sleep?: { seconds: number };
  tcpSocket?: unknown;
}

export class HookError extends Error {
  override readonly name = 'HookError';
}

/**
 * Runs lifecycle handlers (upstream lifecycle.handlerRunner): exec through the runtime's
 * ExecSync, httpGet against the pod (or the host named in the handler), sleep. A failed
 * handler throws HookError with the handler's output.
 */
export class HookRunner {
  constructor(
    private readonly runtime: RuntimeService,
    private readonly podIP: (pod: Pod) => string,
  ) {}

  async run(containerId: string, pod: Pod | undefined, container: Container | undefined, handler: LifecycleHandler, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    if (handler.exec) {
      const command = handler.exec.command ?? [];
      let result;
      try {
        result = await this.runtime.execSync(containerId, command, Math.max(1, Math.ceil(timeoutSeconds)));
      } catch (error) {
        throw new HookError(`Exec lifecycle hook (${JSON.stringify(command)}) for Container "${container?.name ?? ''}" failed - error: ${errorText(error)}`);
      }
      if (result.exitCode !== 0) {
        const output = Buffer.concat([result.stdout, result.stderr]).toString('utf8').slice(0, 4096);
        throw new HookError(`Exec lifecycle hook (${JSON.stringify(command)}) for Container "${container?.name ?? ''}" failed - error: command '${command.join(' ')}' exited with ${result.exitCode}: ${output}`);
      }
      return;
    }
    if (handler.httpGet) {
      const h = handler.httpGet;
      const host = h.host || (pod ? this.podIP(pod) : '') || '127.0.0.1';
      const port = typeof h.port === 'number' ? h.port : resolveNamedPort(container, h.port);
      const scheme = (h.scheme ?? 'HTTP').toLowerCase();
      const path = h.path ?? '/';
      const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
      const headers: Record<string, string> = { 'User-Agent': 'kube-lifecycle/1.34' };
      for (const header of h.httpHeaders ?? []) headers[header.name] = header.value;
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutSeconds * 1000)]) : AbortSignal.timeout(timeoutSeconds * 1000) });
      } catch (error) {
        throw new HookError(`HTTP lifecycle hook (${path}) for Container "${container?.name ?? ''}" in Pod "${pod?.metadata?.name ?? ''}" failed - error: ${(error as Error).message}`);
      }
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 400) {
        throw new HookError(`HTTP lifecycle hook (${path}) for Container "${container?.name ?? ''}" in Pod "${pod?.metadata?.name ?? ''}" failed - error: HTTP status ${response.status}`);
      }
      return;
    }
    if (handler.sleep) {
      const ms = Math.max(0, handler.sleep.seconds) * 1000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return;
    }
    throw new HookError('lifecycle handler has no exec, httpGet or sleep action (tcpSocket is not supported in lifecycle hooks)');
  }
}

function resolveNamedPort(container: Container | undefined, name: string): number {
  const asNumber = Number(name);
  if (Number.isInteger(asNumber) && asNumber > 0) return asNumber;
  const port = container?.ports?.find((p) => p.name === name);
  if (!port) throw new HookError(`couldn't find port "${name}" in container ${container?.name ?? ''}`);
  return port.containerPort;
}
