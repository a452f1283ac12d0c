import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { inject, injectable } from 'inversify';
import type { Registry } from 'prom-client';
import type { Startable } from '../agent/lifecycle.js';
import { AgentOptions } from '../config/agent-options.js';
import { renderConfigz } from '../config/configz.js';
import { Logger } from '../logging/logger.js';
import { MetricsRegistry } from '../metrics/metrics.js';
import { PluginStatus } from './plugin-status.js';

export type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/**
 * The agent's local debug listener on healthzBindAddress:healthzPort (upstream default
 * 127.0.0.1:10248): /healthz, and until the full kubelet HTTP server lands, /plugins,
 * /metrics and /configz. healthzPort 0 disables it, as upstream.
 */
@injectable()
export class DebugServer implements Startable {
  readonly name = 'debug-server';
  private server: Server | undefined;
  private readonly routes = new Map<string, Route>();

  constructor(
    @inject(AgentOptions) private readonly options: AgentOptions,
    @inject(PluginStatus) pluginStatus: PluginStatus,
    @inject(MetricsRegistry) metrics: Registry,
    @inject(Logger) private readonly logger: Logger,
  ) {
    this.routes.set('/healthz', (_req, res) => send(res, 200, 'text/plain; charset=utf-8', 'ok'));
    this.routes.set('/plugins', (_req, res) => send(res, 200, 'application/json', `${JSON.stringify(pluginStatus.list(), null, 2)}\n`));
    this.routes.set('/metrics', async (_req, res) => send(res, 200, metrics.contentType, await metrics.metrics()));
    const configz = renderConfigz(options);
    this.routes.set('/configz', (_req, res) => send(res, 200, 'application/json', configz));
  }

  /** Adds a GET route (e.g. /configz). */
  route(path: string, handler: Route): void {
    this.routes.set(path, handler);
  }

  /** The bound port (useful when configured as an ephemeral port in tests). */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async start(): Promise<void> {
    const { healthzPort, healthzBindAddress } = this.options.kubelet;
    if (healthzPort === 0) {
      this.logger.info('healthz listener disabled (healthzPort 0)');
      return;
    }
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(healthzPort, healthzBindAddress, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.info({ address: healthzBindAddress, port: this.port }, 'debug listener serving /healthz, /plugins, /metrics, /configz');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.get(path);
    if (!route) return send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    try {
      await route(req, res);
    } catch (error) {
      this.logger.error({ path, err: (error as Error).message }, 'debug listener request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
