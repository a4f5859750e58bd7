/**
 * The poller's state in one DynamoDB table (keys from STATE_TABLE_KEYS: pk/sk strings, TTL on
 * `expiresAt`, epoch seconds). `<poller>` names the poller, so several can share a table: one
 * per watched Plivo account (`poller` for the default account, the account's name otherwise).
 *
 *   what             pk                   sk            attributes
 *   cursor           cursor               <poller>      watermark (ISO), version, updatedAt
 *   alert dedup      alert#<poller>#      alert         status (IN_PROGRESS | COMPLETED | REJECTED | DEAD_LETTER),
 *                      <dedupKey> (1)                    inProgressUntil (ms), claimId, claimedAt (ms), messageId,
 *                                                        sentAt (ms), rejections, lastRejection, expiresAt
 *   dead letter      deadletter#<poller>  <dedupKey>    subject, reason, rejections, covers, deadLetteredAt, reported, expiresAt
 *   outbox           outbox#<poller>      <dedupKey>    message (map), covers (list of dedup keys), expiresAt
 *   alert group      group#<poller>       <group id>    body (GroupState), version, expiresAt
 *   windowed rule    window#<poller>      <window id>   body (WindowState), version, expiresAt
 *   traffic baseline traffic#<poller>     hot:<trunk> / profile:<trunk>  body (StoredTraffic: buckets,
 *                                                        incidents / weekly averages, countries), version, expiresAt
 *   pending insights pending#<poller>     <callUuid>    call (map), attempts, errors, waitedMs, failedMs, lastLookedAt,
 *                                                        firstSeenAt, expiresAt
 *   evaluated calls  evaluated#<poller>   <to>#<from>#<id>  from, to (ISO end-time span), ids (binary: 16 bytes per
 *                                                        UUID), other (ids that are not UUIDs), ends (binary: 2
 *                                                        bytes per call, its end in seconds after `from`, in the
 *                                                        order of ids then other; absent in older records), expiresAt
 *   lease            lease                <poller>      owner, until (ms), acquiredAt (ms)
 *   health           health               <poller>      the HealthState fields, updatedAt
 *
 * (1) The default poller (`poller`, the default account's) leaves `<poller>#` out:
 * `alert#<dedupKey>`, the key from before accounts, so a deployment keeps its dedup history.
 *
 * Every claim and lock is a single conditional write, so two runs racing can never both win.
 * TTL deletion is best effort (DynamoDB may take days), so expiry is always decided here by
 * comparing `expiresAt` with the clock: an expired item is treated as absent.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Call, CallInsights } from '../../core/call';
import { EvaluatedCalls, type EvaluatedEntry, type EvaluatedRecord } from '../../core/evaluated-calls';
import type { GroupState } from '../../core/groups/group';
import type { StoredTraffic } from '../../core/traffic/traffic-state';
import type { WindowState } from '../../core/windowed/window';
import type { HealthState } from '../../core/health/run-health';
import type {
  ClaimResult,
  Cursor,
  DeadLetter,
  DeadLetterInput,
  OutboxEntry,
  PendingInsightsItem,
  ReadRange,
  ReportsUnreadableItems,
  StateStore,
  UnreadableItem,
} from '../../core/ports';
import type { RunRecord } from '../../core/health/run-log';
import type { StoredSilence } from '../../core/stored-silences';
import { DEFAULT_POLLER } from '../../core/accounts';
import { AlerterError, type FailureKind } from '../../core/errors';
import { backoffMs, sleep } from '../../core/time';
import { STATE_TABLE_KEYS } from './table-definition';

const PK = STATE_TABLE_KEYS.partitionKey.name;
const SK = STATE_TABLE_KEYS.sortKey.name;
const TTL = STATE_TABLE_KEYS.ttlAttribute;

const IN_PROGRESS = 'IN_PROGRESS';
const COMPLETED = 'COMPLETED';
/** The channel refused the message for good; claimable again, with the refusals counted. */
const REJECTED = 'REJECTED';
/** Set aside after too many refusals: never claimed again. */
const DEAD_LETTER = 'DEAD_LETTER';

/** DynamoDB's per-request limits. */
const BATCH_WRITE_MAX = 25;

export type StateStoreErrorKind = 'request-failed' | 'conflict' | 'unprocessed' | 'invalid-item';

/** Any state-table failure, naming the operation and the table so on-call knows where to look. */
export class StateStoreError extends AlerterError {
  override name = 'StateStoreError';
  override readonly failure: FailureKind = 'state-store-failing';
  constructor(
    message: string,
    readonly operation: string,
    readonly tableName: string,
    readonly kind: StateStoreErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface DynamoDbStateStoreOptions {
  tableName: string;
  client: DynamoDBDocumentClient;
  /**
   * Names this poller's state: cursor, lease, pending list, groups, windows, health, run log,
   * silences, outbox, dead letters and alert dedup records (default 'poller', the default
   * account's).
   */
  poller?: string;
  /** Attempts at a batch whose items DynamoDB left unprocessed (default 8). */
  maxBatchAttempts?: number;
  /** Clock for expiry checks on reads (default Date.now). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

type Item = Record<string, unknown>;
type Key = Record<string, string>;
type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

function isConditionFailed(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** BatchGetItem and BatchWriteItem reject a request that names one key twice. */
function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class DynamoDbStateStore implements StateStore, ReportsUnreadableItems {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly poller: string;
  private readonly maxBatchAttempts: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** The claim ids this store wrote, so a release never deletes a claim another run took over. */
  private readonly claims = new Map<string, string>();
  /** Items skipped as unreadable since the run last asked (takeUnreadable). */
  private readonly unreadable = new Map<string, UnreadableItem>();
  /** The cursor the last getCursor could not read (saveCursor may replace it), else null. */
  private unreadableCursor: { watermark: unknown } | null = null;

  constructor(options: DynamoDbStateStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client;
    this.poller = options.poller ?? DEFAULT_POLLER;
    this.maxBatchAttempts = Math.max(1, options.maxBatchAttempts ?? 8);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  // --- cursor ---------------------------------------------------------------------------

  async getCursor(): Promise<Cursor | null> {
    const item = await this.getItem('getCursor', { [PK]: 'cursor', [SK]: this.poller });
    this.unreadableCursor = null;
    if (!item) return null;
    if (
      typeof item.watermark !== 'string' ||
      Number.isNaN(Date.parse(item.watermark)) ||
      typeof item.version !== 'number'
    ) {
      // Read as no cursor (the run looks back as a first run would; dedup records keep it from
      // alerting twice); saveCursor may then replace the unreadable item (its condition allows it).
      this.skip('getCursor', 'cursor', 'the stored cursor has no readable watermark or version');
      this.unreadableCursor = { watermark: item.watermark };
      return null;
    }
    return { watermark: item.watermark, version: item.version };
  }

  async saveCursor(watermark: string, expectedVersion: number | null): Promise<void> {
    const version = (expectedVersion ?? 0) + 1;
    const conditioned: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      expectedVersion === null
        ? this.unreadableCursor !== null
          ? // The cursor getCursor could not read (see there), and only while it is that very
            // item: a readable cursor another run saved since never has its watermark.
            this.unreadableCursor.watermark === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk) OR attribute_not_exists(#watermark)',
                ExpressionAttributeNames: { '#pk': PK, '#watermark': 'watermark' },
              }
            : {
                ConditionExpression: 'attribute_not_exists(#pk) OR #watermark = :unreadable',
                ExpressionAttributeNames: { '#pk': PK, '#watermark': 'watermark' },
                ExpressionAttributeValues: { ':unreadable': this.unreadableCursor.watermark },
              }
          : { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    await this.request(
      'saveCursor',
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              [PK]: 'cursor',
              [SK]: this.poller,
              watermark,
              version,
              updatedAt: new Date(this.now()).toISOString(),
            },
            ...conditioned,
          }),
        ),
      () => {
        throw this.error(
          'saveCursor',
          'conflict',
          `the cursor was changed by another run (expected version ${expectedVersion ?? 'none'})`,
        );
      },
    );
  }

  // --- alert dedup ----------------------------------------------------------------------

  async claimAlert(
    key: string,
    opts: { nowMs: number; inProgressUntilMs: number; expiresAtSec: number },
  ): Promise<ClaimResult> {
    const claimId = randomUUID();
    const itemKey = this.alertKey(key);
    // One conditional put covers every way the alert may be ours: no record, a record past
    // its retention, or an in-progress claim whose run died. Reading first would let two
    // runs both see "absent" and both publish.
    // An update, not a put: a record the channel refused keeps its count of refusals.
    const result = await this.request(
      'claimAlert',
      async (): Promise<ClaimResult> => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKey,
            UpdateExpression:
              'SET #status = :inProgress, #until = :untilMs, claimId = :claimId, claimedAt = :nowMs, #ttl = :expiresAt REMOVE messageId, sentAt',
            ConditionExpression:
              'attribute_not_exists(#pk) OR #ttl < :nowSec OR (#status = :inProgress AND #until < :nowMs) OR #status = :rejected',
            ExpressionAttributeNames: {
              '#pk': PK,
              '#ttl': TTL,
              '#status': 'status',
              '#until': 'inProgressUntil',
            },
            ExpressionAttributeValues: {
              ':nowSec': Math.floor(opts.nowMs / 1000),
              ':nowMs': opts.nowMs,
              ':untilMs': opts.inProgressUntilMs,
              ':claimId': claimId,
              ':expiresAt': opts.expiresAtSec,
              ':inProgress': IN_PROGRESS,
              ':rejected': REJECTED,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'claimed';
      },
      async (error) => {
        // The failed update returns the record that beat us; servers that ignore
        // ReturnValuesOnConditionCheckFailure (dynalite) get a consistent read instead.
        const status =
          error.Item?.status?.S ??
          (await this.getItem('claimAlert', itemKey, { includeExpired: true }))?.status;
        if (status === COMPLETED) return 'already-sent';
        return status === DEAD_LETTER ? 'dead-letter' : 'in-progress';
      },
    );
    if (result === 'claimed') this.claims.set(key, claimId);
    return result;
  }

  async completeAlert(
    key: string,
    opts: { nowMs: number; messageId: string; expiresAtSec: number },
  ): Promise<void> {
    // Unconditional: the notifier accepted the message, so "sent" is true whoever holds the
    // claim now, and recording it is what stops every later run from sending it again.
    await this.request('completeAlert', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.alertKey(key),
          UpdateExpression:
            'SET #status = :completed, messageId = :messageId, sentAt = :nowMs, #ttl = :expiresAt REMOVE #until',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL, '#until': 'inProgressUntil' },
          ExpressionAttributeValues: {
            ':completed': COMPLETED,
            ':messageId': opts.messageId,
            ':nowMs': opts.nowMs,
            ':expiresAt': opts.expiresAtSec,
          },
        }),
      ),
    );
    this.claims.delete(key);
  }

  async releaseAlert(key: string, rejection?: { reason: string }): Promise<number> {
    const claimId = this.claims.get(key);
    // Only an in-progress claim is ever released (a completed record is what prevents
    // duplicates), and only our own when we know it, so a run whose stale claim was taken
    // over cannot free the claim of the run that took it.
    const ownClaim = claimId === undefined ? '' : ' AND #claimId = :claimId';
    const names = { '#status': 'status', ...(claimId === undefined ? {} : { '#claimId': 'claimId' }) };
    const values = { ':inProgress': IN_PROGRESS, ...(claimId === undefined ? {} : { ':claimId': claimId }) };
    this.claims.delete(key);
    if (!rejection) {
      await this.request(
        'releaseAlert',
        () =>
          this.client.send(
            new DeleteCommand({
              TableName: this.tableName,
              Key: this.alertKey(key),
              ConditionExpression: `#status = :inProgress${ownClaim}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          ),
        () => undefined,
      );
      return 0;
    }
    // Refused for good: keep the record (claimable again) and count the refusal on it.
    return this.request(
      'releaseAlert',
      async () => {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: this.alertKey(key),
            UpdateExpression:
              'SET #status = :rejected, lastRejection = :reason REMOVE #until, claimId ADD rejections :one',
            ConditionExpression: `#status = :inProgress${ownClaim}`,
            ExpressionAttributeNames: { ...names, '#until': 'inProgressUntil' },
            ExpressionAttributeValues: {
              ...values,
              ':rejected': REJECTED,
              ':reason': rejection.reason,
              ':one': 1,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return typeof Attributes?.rejections === 'number' ? Attributes.rejections : 1;
      },
      () => 0,
    );
  }

  async deadLetterAlert(key: string, letter: DeadLetterInput): Promise<void> {
    const deadLetteredAt = new Date(letter.nowMs).toISOString();
    // The listing entry first: a crash in between leaves the alert claimable, so at worst it
    // is refused once more and set aside again.
    await this.request('deadLetterAlert', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: this.deadLetterPk(),
            [SK]: key,
            subject: letter.subject,
            reason: letter.reason,
            rejections: letter.rejections,
            covers: [...(letter.covers ?? [])],
            deadLetteredAt,
            reported: false,
            [TTL]: letter.expiresAtSec,
          },
        }),
      ),
    );
    await this.request('deadLetterAlert', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.alertKey(key),
          UpdateExpression:
            'SET #status = :deadLetter, deadLetteredAt = :nowMs, lastRejection = :reason, #ttl = :expiresAt REMOVE #until, claimId',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL, '#until': 'inProgressUntil' },
          ExpressionAttributeValues: {
            ':deadLetter': DEAD_LETTER,
            ':nowMs': letter.nowMs,
            ':reason': letter.reason,
            ':expiresAt': letter.expiresAtSec,
          },
        }),
      ),
    );
    this.claims.delete(key);
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    const items = await this.queryAll('listDeadLetters', this.deadLetterPk());
    return items.map((item) => ({
      key: String(item[SK]),
      subject: typeof item.subject === 'string' ? item.subject : '',
      reason: typeof item.reason === 'string' ? item.reason : '',
      rejections: typeof item.rejections === 'number' ? item.rejections : 0,
      deadLetteredAt: typeof item.deadLetteredAt === 'string' ? item.deadLetteredAt : '',
      reported: item.reported === true,
      covers: Array.isArray(item.covers) ? item.covers.filter((k): k is string => typeof k === 'string') : [],
    }));
  }

  async markDeadLettersReported(keys: string[]): Promise<void> {
    for (const key of unique(keys)) {
      await this.request(
        'markDeadLettersReported',
        () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { [PK]: this.deadLetterPk(), [SK]: key },
              UpdateExpression: 'SET reported = :true',
              ConditionExpression: 'attribute_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PK },
              ExpressionAttributeValues: { ':true': true },
            }),
          ),
        () => undefined,
      );
    }
  }

  // --- outbox ----------------------------------------------------------------------------

  async putOutbox(entry: OutboxEntry, expiresAtSec: number): Promise<void> {
    await this.request('putOutbox', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: this.outboxPk(),
            [SK]: entry.key,
            message: entry.message,
            covers: entry.covers,
            [TTL]: expiresAtSec,
          },
        }),
      ),
    );
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const items = await this.queryAll('listOutbox', this.outboxPk());
    return items.flatMap((item) => {
      const message = item.message as OutboxEntry['message'] | undefined;
      if (typeof message !== 'object' || message === null || typeof message.dedupKey !== 'string') {
        this.skip('listOutbox', `outbox ${String(item[SK])}`, 'the outbox entry has no message');
        return [];
      }
      const covers = Array.isArray(item.covers)
        ? item.covers.filter((k): k is string => typeof k === 'string')
        : [];
      return [{ key: String(item[SK]), message, covers }];
    });
  }

  async deleteOutbox(key: string): Promise<void> {
    await this.request('deleteOutbox', () =>
      this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { [PK]: this.outboxPk(), [SK]: key } }),
      ),
    );
  }

  // --- pending insights -----------------------------------------------------------------

  async listPendingInsights(): Promise<PendingInsightsItem[]> {
    const nowSec = Math.floor(this.now() / 1000);
    const items: PendingInsightsItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.request('listPendingInsights', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':pk': this.pendingPk() },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (isExpired(item, nowSec)) continue;
        const pending = this.toPending(item);
        if (pending) items.push(pending);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  async putPendingInsights(items: PendingInsightsItem[], expiresAtSec: number): Promise<void> {
    // The last entry for a uuid wins, as it would with sequential puts.
    const byUuid = new Map(items.map((item) => [item.call.callUuid, item]));
    await this.batchWrite(
      'putPendingInsights',
      [...byUuid.values()].map((item) => ({
        PutRequest: {
          Item: {
            [PK]: this.pendingPk(),
            [SK]: item.call.callUuid,
            call: item.call,
            attempts: item.attempts,
            errors: item.errors ?? 0,
            ...(item.waitedMs !== undefined ? { waitedMs: item.waitedMs } : {}),
            ...(item.failedMs !== undefined ? { failedMs: item.failedMs } : {}),
            ...(item.lastLookedAt !== undefined ? { lastLookedAt: item.lastLookedAt } : {}),
            firstSeenAt: item.firstSeenAt,
            ...(item.insights ? { insights: item.insights } : {}),
            [TTL]: expiresAtSec,
          },
        },
      })),
    );
  }

  async deletePendingInsights(callUuids: string[]): Promise<void> {
    await this.batchWrite(
      'deletePendingInsights',
      unique(callUuids).map((uuid) => ({ DeleteRequest: { Key: { [PK]: this.pendingPk(), [SK]: uuid } } })),
    );
  }

  // --- evaluated calls ------------------------------------------------------------------

  /**
   * Records overlapping the range: their sort key starts with the end of their span, so one
   * query for keys after the range's start finds them (and only the last few records: the
   * cursor never lags far behind them); those starting after the range are dropped here.
   */
  async getEvaluatedCalls(range: ReadRange): Promise<EvaluatedCalls> {
    const items = await this.queryAll('getEvaluatedCalls', this.evaluatedPk(), {
      skAfter: range.from.toISOString(),
    });
    const records: EvaluatedRecord[] = [];
    const fromIso = range.from.toISOString();
    const toIso = range.to.toISOString();
    for (const item of items) {
      if (typeof item.from !== 'string' || typeof item.to !== 'string') continue;
      if (item.from >= toIso || item.to <= fromIso) continue;
      const ids = [
        ...(item.ids instanceof Uint8Array ? unpackUuids(item.ids) : []),
        ...(Array.isArray(item.other) ? item.other.filter((id): id is string => typeof id === 'string') : []),
      ];
      const span = { from: new Date(item.from), to: new Date(item.to) };
      const ends = item.ends instanceof Uint8Array ? unpackEnds(item.ends, span.from.getTime()) : [];
      // Records written before end times were kept (no `ends`) give each call's span only.
      records.push({ span, calls: ids.map((callUuid, i) => ({ callUuid, endMs: ends[i] ?? null })) });
    }
    return new EvaluatedCalls(records);
  }

  async recordEvaluatedCalls(
    span: ReadRange,
    calls: readonly EvaluatedEntry[],
    expiresAtSec: number,
  ): Promise<void> {
    const from = span.from.toISOString();
    const to = span.to.toISOString();
    for (const chunk of evaluatedBatches(uniqueEntries(calls))) {
      const { packed, other } = packUuids(chunk.map((c) => c.callUuid));
      // The ends in the order the ids are read back: packed UUIDs first, then the others.
      const ordered = [
        ...chunk.filter((c) => UUID_PATTERN.test(c.callUuid)),
        ...chunk.filter((c) => !UUID_PATTERN.test(c.callUuid)),
      ];
      const item: Item = {
        [PK]: this.evaluatedPk(),
        [SK]: `${to}#${from}#${randomUUID().slice(0, 8)}`,
        from,
        to,
        ids: packed,
        ends: packEnds(
          ordered.map((c) => c.endMs),
          span.from.getTime(),
        ),
        [TTL]: expiresAtSec,
      };
      if (other.length > 0) item.other = other;
      await this.request('recordEvaluatedCalls', () =>
        this.client.send(new PutCommand({ TableName: this.tableName, Item: item })),
      );
    }
  }

  // --- lease ----------------------------------------------------------------------------

  async acquireLease(owner: string, opts: { nowMs: number; untilMs: number }): Promise<boolean> {
    return this.request(
      'acquireLease',
      async () => {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { [PK]: 'lease', [SK]: this.poller, owner, until: opts.untilMs, acquiredAt: opts.nowMs },
            ConditionExpression: 'attribute_not_exists(#pk) OR #until < :nowMs OR #owner = :owner',
            ExpressionAttributeNames: { '#pk': PK, '#until': 'until', '#owner': 'owner' },
            ExpressionAttributeValues: { ':nowMs': opts.nowMs, ':owner': owner },
          }),
        );
        return true;
      },
      () => false,
    );
  }

  async releaseLease(owner: string): Promise<void> {
    await this.request(
      'releaseLease',
      () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { [PK]: 'lease', [SK]: this.poller },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        ),
      // Not ours (taken over after it expired, or already gone): nothing to give back.
      () => undefined,
    );
  }

  // --- health ---------------------------------------------------------------------------

  async getHealth(): Promise<HealthState | null> {
    const item = await this.getItem('getHealth', { [PK]: 'health', [SK]: this.poller });
    if (!item) return null;
    const str = (value: unknown) => (typeof value === 'string' ? value : null);
    if (item.status !== 'healthy' && item.status !== 'failing') {
      // Read as no health yet: the run's outcome writes a readable one.
      this.skip('getHealth', 'health', 'the stored health has an unknown status');
      return null;
    }
    return {
      status: item.status,
      since: str(item.since),
      kind: str(item.kind) as HealthState['kind'],
      reason: str(item.reason),
      consecutiveFailures: typeof item.consecutiveFailures === 'number' ? item.consecutiveFailures : 0,
      // Absent in a state saved before the time was kept: the core reads the count instead.
      ...(typeof item.failingMs === 'number' ? { failingMs: item.failingMs } : {}),
      notified: item.notified === true,
    };
  }

  async saveHealth(health: HealthState): Promise<void> {
    await this.request('saveHealth', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...health,
            [PK]: 'health',
            [SK]: this.poller,
            updatedAt: new Date(this.now()).toISOString(),
          },
        }),
      ),
    );
  }

  // --- plumbing -------------------------------------------------------------------------

  takeUnreadable(): UnreadableItem[] {
    const taken = [...this.unreadable.values()];
    this.unreadable.clear();
    return taken;
  }

  /** An item the code cannot read: skipped and kept for the run to report (once per item). */
  private skip(operation: string, item: string, reason: string): void {
    const key = `${operation}|${item}`;
    if (!this.unreadable.has(key)) this.unreadable.set(key, { operation, item: item.slice(0, 200), reason });
  }

  // --- alert groups ------------------------------------------------------------------------

  async listGroups(): Promise<GroupState[]> {
    return this.listVersioned<GroupState>('group', 'listGroups');
  }

  async saveGroup(group: GroupState, expiresAtSec: number): Promise<number> {
    return this.saveVersioned('group', 'saveGroup', group, expiresAtSec);
  }

  async listWindows(): Promise<WindowState[]> {
    return this.listVersioned<WindowState>('window', 'listWindows');
  }

  async saveWindow(window: WindowState, expiresAtSec: number): Promise<number> {
    return this.saveVersioned('window', 'saveWindow', window, expiresAtSec);
  }

  async listTraffic(): Promise<StoredTraffic[]> {
    return this.listVersioned<StoredTraffic>('traffic', 'listTraffic');
  }

  async saveTraffic(item: StoredTraffic, expiresAtSec: number): Promise<number> {
    return this.saveVersioned('traffic', 'saveTraffic', item, expiresAtSec);
  }

  /** Items of one kind (`<kind>#<poller>`), each an object with an id and an optimistic version. */
  private async listVersioned<T extends { id: string; version: number }>(
    kind: string,
    operation: string,
  ): Promise<T[]> {
    const items = await this.queryAll(operation, `${kind}#${this.poller}`);
    return items.flatMap((item) => {
      const body = item.body as T | undefined;
      if (typeof body !== 'object' || body === null || typeof body.id !== 'string') {
        this.skip(operation, `${kind} ${String(item[SK])}`, `the ${kind} item has no body`);
        return [];
      }
      return [{ ...body, version: typeof item.version === 'number' ? item.version : 0 }];
    });
  }

  private async saveVersioned(
    kind: string,
    operation: string,
    value: { id: string; version: number },
    expiresAtSec: number,
  ): Promise<number> {
    const version = value.version + 1;
    const { version: _old, ...body } = value;
    await this.request(
      operation,
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { [PK]: `${kind}#${this.poller}`, [SK]: value.id, body, version, [TTL]: expiresAtSec },
            // A new item may replace one whose expiry passed (TTL deletes within days, and a
            // read treats it as gone): else the first write after an expiry fails every run.
            ...(value.version === 0
              ? {
                  ConditionExpression: 'attribute_not_exists(#pk) OR #ttl < :nowSec',
                  ExpressionAttributeNames: { '#pk': PK, '#ttl': TTL },
                  ExpressionAttributeValues: { ':nowSec': Math.floor(this.now() / 1000) },
                }
              : {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': value.version },
                }),
          }),
        ),
      () => {
        throw this.error(operation, 'conflict', `${kind} ${value.id} was changed by another run`);
      },
    );
    return version;
  }

  private evaluatedPk(): string {
    return `evaluated#${this.poller}`;
  }

  private pendingPk(): string {
    return `pending#${this.poller}`;
  }

  private deadLetterPk(): string {
    return `deadletter#${this.poller}`;
  }

  /** The default poller's records keep the key they had before accounts (`alert#<dedupKey>`). */
  private alertKey(key: string): Key {
    const pk = this.poller === DEFAULT_POLLER ? `alert#${key}` : `alert#${this.poller}#${key}`;
    return { [PK]: pk, [SK]: 'alert' };
  }

  private outboxPk(): string {
    return `outbox#${this.poller}`;
  }

  private toPending(item: Item): PendingInsightsItem | null {
    const call = item.call as Call | undefined;
    if (
      typeof call !== 'object' ||
      call === null ||
      typeof call.callUuid !== 'string' ||
      typeof call.endTime !== 'string'
    ) {
      this.skip('listPendingInsights', `pending ${String(item[SK])}`, 'the pending item has no call');
      return null;
    }
    return {
      call,
      attempts: typeof item.attempts === 'number' ? item.attempts : 0,
      errors: typeof item.errors === 'number' ? item.errors : 0,
      // Absent in an item written before the time was kept: the core reads its counts instead.
      ...(typeof item.waitedMs === 'number' ? { waitedMs: item.waitedMs } : {}),
      ...(typeof item.failedMs === 'number' ? { failedMs: item.failedMs } : {}),
      ...(typeof item.lastLookedAt === 'string' && !Number.isNaN(Date.parse(item.lastLookedAt))
        ? { lastLookedAt: item.lastLookedAt }
        : {}),
      firstSeenAt: typeof item.firstSeenAt === 'string' ? item.firstSeenAt : '',
      ...(isInsights(item.insights, call.callUuid) ? { insights: item.insights } : {}),
    };
  }

  /** A strongly consistent read; an expired item reads as absent unless asked otherwise. */
  private async getItem(
    operation: string,
    key: Key,
    options: { includeExpired?: boolean } = {},
  ): Promise<Item | null> {
    const response = await this.request(operation, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    const item = response.Item;
    if (!item) return null;
    if (!options.includeExpired && isExpired(item, Math.floor(this.now() / 1000))) return null;
    return item;
  }

  private async batchWrite(operation: string, requests: WriteRequest[]): Promise<void> {
    for (const chunk of chunks(requests, BATCH_WRITE_MAX)) {
      let pending: WriteRequest[] = chunk;
      for (let attempt = 1; ; attempt += 1) {
        const batch = pending;
        const response = await this.request(operation, () =>
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        pending = (response.UnprocessedItems?.[this.tableName] ?? []) as WriteRequest[];
        if (pending.length === 0) break;
        await this.backoffOrThrow(operation, attempt, pending.length);
      }
    }
  }

  /** Exponential backoff with full jitter, as AWS recommends for unprocessed batch items. */
  private async backoffOrThrow(operation: string, attempt: number, left: number): Promise<void> {
    if (attempt >= this.maxBatchAttempts) {
      throw this.error(
        operation,
        'unprocessed',
        `${left} item(s) were still unprocessed after ${attempt} attempts (throughput exceeded?)`,
      );
    }
    await this.sleep(backoffMs(attempt, { baseMs: 50, capMs: 2000, random: Math.random, jitter: 'equal' }));
  }

  /**
   * Sends one request. A failed condition goes to `onConditionFailed` (a normal answer for a
   * claim or a lock); any other failure becomes a StateStoreError.
   */
  private async request<T>(
    operation: string,
    send: () => Promise<T>,
    onConditionFailed?: (error: ConditionalCheckFailedException) => T | Promise<T>,
  ): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (onConditionFailed && isConditionFailed(error)) return onConditionFailed(error);
      if (error instanceof StateStoreError) throw error;
      throw this.error(operation, 'request-failed', errorText(error), error);
    }
  }

  private error(operation: string, kind: StateStoreErrorKind, detail: string, cause?: unknown) {
    return new StateStoreError(
      `State store ${operation} on DynamoDB table ${this.tableName} failed: ${detail}`,
      operation,
      this.tableName,
      kind,
      cause === undefined ? undefined : { cause },
    );
  }

  // --- silences, the run log and dedup lookups (the on-call CLI) -------------------------
  //
  //   silence          silence#<poller>     <id>                       body (StoredSilence), expiresAt
  //   run log          runs#<poller>        <startedAt>#<runId>        body (RunRecord), expiresAt

  /** Stored silences, ended ones included until their item expires; an item without a body is skipped. */
  async listSilences(): Promise<StoredSilence[]> {
    const items = await this.queryAll('listSilences', `silence#${this.poller}`, {});
    return items
      .map((item) => item.body as StoredSilence | undefined)
      .filter(
        (body): body is StoredSilence => typeof body?.id === 'string' && typeof body.endsAt === 'string',
      );
  }

  /** Adds a silence; a silence with the same id is never overwritten. */
  async putSilence(silence: StoredSilence, expiresAtSec: number): Promise<void> {
    await this.request(
      'putSilence',
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { [PK]: `silence#${this.poller}`, [SK]: silence.id, body: silence, [TTL]: expiresAtSec },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        ),
      () => {
        throw this.error('putSilence', 'conflict', `a silence with id ${silence.id} exists already`);
      },
    );
  }

  /** Saves a changed silence (e.g. ended early); null when there is no such silence. */
  async replaceSilence(silence: StoredSilence, expiresAtSec: number): Promise<StoredSilence | null> {
    return this.request(
      'replaceSilence',
      async () => {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { [PK]: `silence#${this.poller}`, [SK]: silence.id, body: silence, [TTL]: expiresAtSec },
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
        return silence;
      },
      () => null,
    );
  }

  async recordRun(record: RunRecord, expiresAtSec?: number): Promise<void> {
    const ttl = expiresAtSec ?? Math.floor(this.now() / 1000) + RUN_LOG_RETENTION_SEC;
    await this.request('recordRun', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: `runs#${this.poller}`,
            [SK]: `${record.startedAt}#${record.runId}`,
            body: record,
            [TTL]: ttl,
          },
        }),
      ),
    );
  }

  /** The latest runs, newest first. */
  async listRuns(limit = 10): Promise<RunRecord[]> {
    const items = await this.queryAll('listRuns', `runs#${this.poller}`, {
      ScanIndexForward: false,
      Limit: limit,
      maxItems: limit,
    });
    return items
      .map((item) => item.body as RunRecord | undefined)
      .filter((body): body is RunRecord => typeof body?.runId === 'string');
  }

  /** The dedup record of one alert or notice key, as the poller left it; null if none. */
  async getAlertRecord(key: string): Promise<AlertRecord | null> {
    const item = await this.getItem('getAlertRecord', this.alertKey(key));
    if (!item) return null;
    const num = (value: unknown) => (typeof value === 'number' ? value : null);
    return {
      status: item.status === COMPLETED ? 'sent' : 'in-progress',
      messageId: typeof item.messageId === 'string' ? item.messageId : null,
      sentAtMs: num(item.sentAt),
      claimedAtMs: num(item.claimedAt),
      inProgressUntilMs: num(item.inProgressUntil),
    };
  }

  /** Every unexpired item of one partition (following pages), or at most `maxItems` of them. */
  private async queryAll(
    operation: string,
    pk: string,
    options: { ScanIndexForward?: boolean; Limit?: number; maxItems?: number; skAfter?: string } = {},
  ): Promise<Item[]> {
    const nowSec = Math.floor(this.now() / 1000);
    const out: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.request(operation, () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression:
              options.skAfter === undefined ? '#pk = :pk' : '#pk = :pk AND #sk > :after',
            ExpressionAttributeNames:
              options.skAfter === undefined ? { '#pk': PK } : { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues:
              options.skAfter === undefined ? { ':pk': pk } : { ':pk': pk, ':after': options.skAfter },
            ConsistentRead: true,
            ScanIndexForward: options.ScanIndexForward,
            Limit: options.Limit,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) if (!isExpired(item, nowSec)) out.push(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && (options.maxItems === undefined || out.length < options.maxItems));
    return options.maxItems === undefined ? out : out.slice(0, options.maxItems);
  }
}

/** How long run records are kept: a week of history for `status`. */
const RUN_LOG_RETENTION_SEC = 7 * 24 * 60 * 60;

/** An alert's dedup record, read back for `explain`. */
export interface AlertRecord {
  status: 'sent' | 'in-progress';
  /** The channel's message id, or `silenced:<id>` / `group:<id>` for findings recorded without a message of their own. */
  messageId: string | null;
  sentAtMs: number | null;
  claimedAtMs: number | null;
  inProgressUntilMs: number | null;
}

/**
 * Bytes of ids and end times per evaluated-calls item, well inside DynamoDB's 400 KB: 8,888
 * UUIDs packed to 16 bytes each plus 2 for the end time, or fewer ids kept as text (anything
 * that is not a lower-case UUID, up to 128 characters: isUsableCallUuid).
 */
const EVALUATED_BYTES_PER_ITEM = 160_000;

/** Calls in batches whose item stays under EVALUATED_BYTES_PER_ITEM. */
function evaluatedBatches(calls: readonly EvaluatedEntry[]): EvaluatedEntry[][] {
  const batches: EvaluatedEntry[][] = [];
  let batch: EvaluatedEntry[] = [];
  let bytes = 0;
  for (const call of calls) {
    const size = (UUID_PATTERN.test(call.callUuid) ? 16 : call.callUuid.length + 3) + END_BYTES;
    if (bytes + size > EVALUATED_BYTES_PER_ITEM && batch.length > 0) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(call);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function uniqueEntries(calls: readonly EvaluatedEntry[]): EvaluatedEntry[] {
  const seen = new Set<string>();
  return calls.filter((c) => (seen.has(c.callUuid) ? false : (seen.add(c.callUuid), true)));
}

/** Bytes per call of an evaluated record's `ends`: seconds after the span's start, big-endian. */
const END_BYTES = 2;
/** An end time not known, or too far after the span's start for two bytes (over ~18 hours). */
const NO_END = 0xffff;

/** End times as whole seconds after `fromMs` (the call's span start), two bytes each. */
export function packEnds(ends: ReadonlyArray<number | null>, fromMs: number): Uint8Array {
  const buf = Buffer.alloc(ends.length * END_BYTES);
  ends.forEach((endMs, i) => {
    const offset = endMs === null ? NO_END : Math.floor((endMs - fromMs) / 1000);
    buf.writeUInt16BE(offset >= 0 && offset < NO_END ? offset : NO_END, i * END_BYTES);
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

export function unpackEnds(packed: Uint8Array, fromMs: number): Array<number | null> {
  const buf = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: Array<number | null> = [];
  for (let i = 0; i + END_BYTES <= buf.length; i += END_BYTES) {
    const offset = buf.readUInt16BE(i);
    out.push(offset === NO_END ? null : fromMs + offset * 1000);
  }
  return out;
}
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lower-case UUIDs as 16 bytes each (a write unit per 64 calls); anything else kept as text. */
export function packUuids(ids: readonly string[]): { packed: Uint8Array; other: string[] } {
  const uuids = ids.filter((id) => UUID_PATTERN.test(id));
  const other = ids.filter((id) => !UUID_PATTERN.test(id));
  const packed = Buffer.alloc(uuids.length * 16);
  uuids.forEach((uuid, i) => packed.write(uuid.replace(/-/g, ''), i * 16, 16, 'hex'));
  return { packed: new Uint8Array(packed.buffer, packed.byteOffset, packed.length), other };
}

export function unpackUuids(packed: Uint8Array): string[] {
  const buf = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: string[] = [];
  for (let i = 0; i + 16 <= buf.length; i += 16) {
    const h = buf.toString('hex', i, i + 16);
    out.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
  }
  return out;
}

/** Insights kept with a pending call, read back only if they are that call's. */
function isInsights(value: unknown, callUuid: string): value is CallInsights {
  return typeof value === 'object' && value !== null && (value as CallInsights).callUuid === callUuid;
}

/** Expired exactly when DynamoDB TTL would consider it so: expiresAt earlier than now. */
function isExpired(item: Item, nowSec: number): boolean {
  const expiresAt = item[TTL];
  return typeof expiresAt === 'number' && expiresAt < nowSec;
}
