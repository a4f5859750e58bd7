import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../../core/time';
import { STATE_TABLE_KEYS } from './table-definition';

export interface CreateStateTableResult {
  tableName: string;
  /** False when the table already existed. */
  created: boolean;
  /** 'unsupported': the server (dynalite) has no UpdateTimeToLive; expiry is still checked in code. */
  ttl: 'enabled' | 'already-enabled' | 'unsupported';
}

export interface CreateStateTableOptions {
  /** How long to wait for the table to become ACTIVE (default 60 s). */
  timeoutMs?: number;
  pollIntervalMs?: number;
}

/**
 * Creates the state table for local DynamoDB and ad-hoc environments (CDK creates the deployed
 * one from the same STATE_TABLE_KEYS). Safe to run again: an existing table is kept as it is.
 */
export async function createStateTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateStateTableOptions = {},
): Promise<CreateStateTableResult> {
  const { partitionKey, sortKey, ttlAttribute } = STATE_TABLE_KEYS;
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
          { AttributeName: sortKey.name, AttributeType: sortKey.type },
        ],
        KeySchema: [
          { AttributeName: partitionKey.name, KeyType: 'HASH' },
          { AttributeName: sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    created = false;
  }

  await waitUntilActive(client, tableName, options.timeoutMs ?? 60_000, options.pollIntervalMs ?? 250);
  return { tableName, created, ttl: await enableTtl(client, tableName, ttlAttribute) };
}

async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() >= deadline) {
      throw new Error(
        `DynamoDB table ${tableName} did not become ACTIVE within ${timeoutMs} ms (status ${Table?.TableStatus ?? 'unknown'})`,
      );
    }
    await sleep(intervalMs);
  }
}

async function enableTtl(
  client: DynamoDBClient,
  tableName: string,
  attribute: string,
): Promise<CreateStateTableResult['ttl']> {
  try {
    const { TimeToLiveDescription: ttl } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    if (
      ttl?.AttributeName === attribute &&
      (ttl.TimeToLiveStatus === 'ENABLED' || ttl.TimeToLiveStatus === 'ENABLING')
    ) {
      return 'already-enabled';
    }
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
    return 'enabled';
  } catch (error) {
    // Only a server without the TTL API is tolerated; the store never relies on TTL deleting
    // anything, so the table works the same there. Any other failure is real.
    if (error instanceof Error && error.name === 'UnknownOperationException') return 'unsupported';
    throw error;
  }
}
