import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createStateTable } from '../../../functions/adapters/dynamodb/create-state-table';
import { STATE_TABLE_KEYS } from '../../../functions/adapters/dynamodb/table-definition';

const client = new DynamoDBClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const ddb = mockClient(client);

beforeEach(() => {
  ddb.reset();
  ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
  ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
});

describe('createStateTable', () => {
  it('creates the table from the same key definition the stack uses, on demand, then enables TTL', async () => {
    ddb.on(CreateTableCommand).resolves({});
    await expect(createStateTable(client, 'alerts', { pollIntervalMs: 1 })).resolves.toMatchObject({
      created: true,
      ttl: 'enabled',
    });
    expect(ddb).toHaveReceivedCommandWith(CreateTableCommand, {
      TableName: 'alerts',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: STATE_TABLE_KEYS.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE_KEYS.sortKey.name, KeyType: 'RANGE' },
      ],
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateTimeToLiveCommand, {
      TimeToLiveSpecification: { AttributeName: STATE_TABLE_KEYS.ttlAttribute, Enabled: true },
    });
  });

  it('keeps an existing table, and tolerates only a server without the TTL API', async () => {
    ddb.on(CreateTableCommand).rejects(new ResourceInUseException({ message: 'exists', $metadata: {} }));
    const unsupported = Object.assign(new Error('not supported'), { name: 'UnknownOperationException' });
    ddb.on(DescribeTimeToLiveCommand).rejects(unsupported);
    await expect(createStateTable(client, 'alerts', { pollIntervalMs: 1 })).resolves.toMatchObject({
      created: false,
      ttl: 'unsupported',
    });

    ddb
      .on(DescribeTimeToLiveCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(createStateTable(client, 'alerts', { pollIntervalMs: 1 })).rejects.toThrow('denied');
  });
});
