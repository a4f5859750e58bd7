import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createStateTable } from '../../functions/adapters/dynamodb/create-state-table';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../sandbox/local-dynamodb';

export type Dynalite = LocalDynamoDb;

/** dynalite in this process, in memory, on a free loopback port (the same server `npm start` uses). */
export const startDynalite = (): Promise<Dynalite> => startLocalDynamoDb();

/** A low-level client for the test server; dynalite accepts any credentials. */
export function testDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
}

export interface TestTable {
  tableName: string;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
}

/** A fresh, uniquely named state table, so tests never see each other's items. */
export async function makeTestTable(endpoint: string): Promise<TestTable> {
  const client = testDynamoDbClient(endpoint);
  const tableName = `test-state-${randomUUID()}`;
  await createStateTable(client, tableName, { pollIntervalMs: 10 });
  // The same marshalling the poller's runtime uses.
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { tableName, client, documentClient };
}

/** A document client for the test server, marshalling as the poller's runtime does. */
export function testDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(testDynamoDbClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
