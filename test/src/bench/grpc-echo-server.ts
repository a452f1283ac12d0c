/**
 * What one unary rpc costs: a bare grpc-js server on a unix socket that answers one unary
 * method with an empty reply and does nothing else. The bench calls it with the same Admit
 * request bytes the agent sends (as a message on the plugin's Calls stream).
 */
import * as grpc from '@grpc/grpc-js';

const [socket, method] = process.argv.slice(2);
if (!socket || !method) throw new Error('usage: grpc-echo-server SOCKET METHOD-PATH');

const identity = (b: Buffer): Buffer => b;
const server = new grpc.Server();
server.addService(
  { call: { path: method, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
  { call: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.alloc(0)) },
);
server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write('serving\n');
});
process.on('SIGTERM', () => server.forceShutdown());
