import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface LocalDynamoDb {
  /** e.g. http://127.0.0.1:43123 — give it to the SDK as AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A DynamoDB-compatible server (dynalite) in this process, in memory, on loopback. It speaks
 * the real wire protocol, so conditional writes and batch limits behave as in DynamoDB; it has
 * no TTL deletion and no transactions, which the state store never relies on.
 */
export async function startLocalDynamoDb(
  options: { port?: number; path?: string } = {},
): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
