/**
 * `npm run create-table -- [--table NAME]`: creates the poller's state table (default
 * $STATE_TABLE_NAME). The endpoint is the SDK's own choice, so point it at a local server with
 * AWS_ENDPOINT_URL_DYNAMODB; without it this talks to DynamoDB in the configured account.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { ENV } from '../functions/core/contract';

const USAGE = `Usage: npm run create-table -- [--table NAME]

  --table <name>   table to create (default $${ENV.stateTableName})
  --help           this text

The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB (a local DynamoDB) or the AWS configuration.`;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { table: { type: 'string' }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const tableName = values.table ?? env[ENV.stateTableName];
  if (!tableName) {
    console.error(`No table name: pass --table NAME or set ${ENV.stateTableName}.\n\n${USAGE}`);
    return 2;
  }
  const where = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL ?? 'the AWS DynamoDB endpoint';
  const client = new DynamoDBClient({});
  try {
    const result = await createStateTable(client, tableName);
    console.log(
      `${result.created ? 'Created' : 'Kept existing'} table ${tableName} at ${where} (ACTIVE, pay per request)`,
    );
    console.log(
      result.ttl === 'unsupported'
        ? 'TTL: not supported by this server; expired items are ignored by the poller anyway'
        : `TTL on expiresAt: ${result.ttl === 'enabled' ? 'enabled' : 'already enabled'}`,
    );
    return 0;
  } finally {
    client.destroy();
  }
}

// Run only as a script (tsx), not when a test imports this module.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(`create-table failed: ${error.name}: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
