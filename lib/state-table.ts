import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { STATE_TABLE_KEYS } from '../functions/adapters/dynamodb/table-definition';

const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

/**
 * The poller's cursor, dedup claims and pending-insights items. Built from STATE_TABLE_KEYS,
 * the definition the store adapter and the local table script use, so they cannot disagree.
 */
export class StateTable extends Construct {
  readonly table: ITable;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const table = new Table(this, 'Table', {
      partitionKey: {
        name: STATE_TABLE_KEYS.partitionKey.name,
        type: ATTRIBUTE_TYPES[STATE_TABLE_KEYS.partitionKey.type],
      },
      sortKey: { name: STATE_TABLE_KEYS.sortKey.name, type: ATTRIBUTE_TYPES[STATE_TABLE_KEYS.sortKey.type] },
      timeToLiveAttribute: STATE_TABLE_KEYS.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Losing the cursor would re-read the first-run lookback and the dedup claims would let
      // alerts go out twice: the table outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table = table;
  }
}
