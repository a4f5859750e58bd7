/**
 * The state table's key definition. The CDK construct and `npm run create-table` (local
 * DynamoDB) both build the table from this, and the store adapter writes items with it,
 * so the three can never disagree.
 */
export const STATE_TABLE_KEYS = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /** Epoch seconds; DynamoDB TTL deletes expired items eventually (never relied upon). */
  ttlAttribute: 'expiresAt',
} as const;
