import type { ServerResponse } from 'node:http';
import type { DebugServer } from '../http/debug-server.js';
import type { NodeStatus } from '../node/node-status.js';
import type { PodManager } from './pod-manager.js';

function sendJson(res: ServerResponse, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

/**
 * `GET /pods`: the pods of the node with their status, as the kubelet's /pods serves a
 * v1.PodList (rejected pods included, phase Failed with the reason). `GET /node`: the node's
 * capacity, allocatable and conditions.
 */
export function podsRoutes(server: DebugServer, pods: PodManager, node: NodeStatus): void {
  server.route('/pods', (_req, res) => sendJson(res, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods.listWithStatus() }));
  server.route('/node', (_req, res) => sendJson(res, node.node()));
}
