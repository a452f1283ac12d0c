import { credentials, Metadata } from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';

/** Asks the socket for its CRI Version; undefined when nothing answers within timeoutMs. */
export function probeVersion(socketPath: string, timeoutMs = 1000): Promise<runtime.VersionResponse | undefined> {
  const client = new runtime.RuntimeServiceClient(`unix:${socketPath}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.version({ version: 'v1' }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, response) => {
      client.close();
      resolve(err ? undefined : response);
    });
  });
}
