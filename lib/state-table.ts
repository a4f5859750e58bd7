import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STATE_TABLE_KEYS } from '../functions/adapters/dynamodb/table-definition';

const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

/**
 * The DynamoDB actions DynamoDbStateStore (functions/adapters/dynamodb/dynamodb-state-store.ts)
 * calls, one per document-client command it sends: item reads and writes, Query on the table
 * itself (no index) and the batch forms. No Scan, DescribeTable, ConditionCheckItem or stream
 * reads. A test compares this list with the commands in that file.
 */
export const STATE_STORE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

export interface StateTableProps {
  /** DynamoDB deletion protection: the table cannot be deleted until it is turned off. */
  readonly deletionProtection: boolean;
}

/**
 * The poller's cursor, dedup claims and pending-insights items. Built from STATE_TABLE_KEYS,
 * the definition the store adapter and the local table script use, so they cannot disagree.
 */
export class StateTable extends Construct {
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);

    const table = new Table(this, 'Table', {
      partitionKey: {
        name: STATE_TABLE_KEYS.partitionKey.name,
        type: ATTRIBUTE_TYPES[STATE_TABLE_KEYS.partitionKey.type],
      },
      sortKey: { name: STATE_TABLE_KEYS.sortKey.name, type: ATTRIBUTE_TYPES[STATE_TABLE_KEYS.sortKey.type] },
      timeToLiveAttribute: STATE_TABLE_KEYS.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      // The AWS managed key: callers need no KMS permissions (a customer managed key would
      // have to be granted in grantStateStore too).
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Losing the cursor would re-read the first-run lookback and the dedup claims would let
      // alerts go out twice: the table outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // Retention covers the stack being destroyed; deletion protection also covers a delete
      // by hand or by another tool (deployment.stateTable.deletionProtection).
      deletionProtection: props.deletionProtection,
    });
    this.table = table;
  }

  /** Exactly what the state store needs, on this table only (the store queries no index). */
  grantStateStore(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...STATE_STORE_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
  }
}
