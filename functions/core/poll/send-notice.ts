import { alertDedupKey } from '../alert-message';
import type { Loaded } from './notify-traffic';
import { NotificationRejectedError } from '../errors';
import type { Finding } from '../finding';
import type { AlertMessage } from '../ports';
import { type ActiveSilence, activeSilenceFor, type SilenceSubject } from '../silences';
import { claimForRun, forChannel, increment, type PollDeps, type PollSummary } from './run-context';

/** What a notice is, for the run's counters. */
export type NoticeKind = 'alert' | 'catch-up-summary' | 'group' | 'window' | 'traffic';

/**
 * One notification a run wants to send exactly once: a per-call alert, a catch-up summary, or
 * a group or windowed-rule notice. Every kind goes through `sendNotice`, so they share one
 * order of steps and one way of counting and failing.
 */
export interface Notice {
  /** The claim and dedup key. */
  key: string;
  kind: NoticeKind;
  ruleId: string;
  /** For group and window notices: firing, update, reminder, resolved. */
  stage?: string;
  /** What silences are matched against; null: never silenced. */
  silenceSubject: SilenceSubject | null;
  /**
   * A per-call alert muted by a silence is recorded as notified and never sent ('record'); an
   * incident notice waits until the silence ends ('hold'), so its lifecycle stays whole.
   */
  whenSilenced: 'record' | 'hold';
  /** Rendered only once the notice is claimed. */
  render: () => AlertMessage;
  /** Other dedup keys this message stands for (the findings of a catch-up summary). */
  covers?: readonly string[];
  /**
   * Record the rendered message before publishing it (an outbox entry), so that a run dying
   * between publish and complete is finished by the next run with this same message.
   */
  outbox?: boolean;
  /** Added to the notice's log lines. */
  logFields?: Record<string, unknown>;
}

/**
 * 'published': the channel accepted it. 'duplicate': it went out before (or was set aside).
 * 'in-progress': another live run holds it. 'silenced': recorded, not sent. 'held': a silence
 * holds it back, nothing recorded. 'failed': the channel refused it; it stays owed and the run
 * fails. 'dead-lettered': refused for good too many times and set aside.
 */
export type SendResult =
  'published' | 'duplicate' | 'in-progress' | 'silenced' | 'held' | 'failed' | 'dead-lettered';

/** A notice is settled (nothing more to do for it) after these results. */
export function isSettled(result: SendResult): boolean {
  return (
    result === 'published' || result === 'duplicate' || result === 'silenced' || result === 'dead-lettered'
  );
}

export interface SendContext {
  deps: PollDeps;
  summary: PollSummary;
  /** One instant for the whole run, so every notice of it sees the same silences. */
  silencedAt: Date;
  expiresAtSec: number;
  /** The run's traffic items, read once and written at its end (notify-traffic.ts). */
  traffic?: Loaded;
}

/**
 * The one send path: silence check → claim → (outbox) → publish → complete or release →
 * account. The claim is a conditional write, so two runs never both send; the record is
 * marked sent only after the channel accepted the message, so a crash never loses one. The only
 * repeat is a crash between the channel accepting and `completeAlert`: exactly that message.
 *
 * A publish failure is counted in `summary.publishFailures`, which fails the run (the caller
 * keeps what the notice was about owed). A message the channel refuses for good
 * (NotificationRejectedError) is counted on its record; after
 * `notifications.deadLetterAfterRejections` runs it is set aside as a dead letter.
 * State-store failures are not publish failures: they propagate and fail the run as such.
 */
export async function sendNotice(ctx: SendContext, notice: Notice): Promise<SendResult> {
  const { deps, summary, expiresAtSec } = ctx;
  const { store, notifier, logger, config } = deps;
  const fields = { key: notice.key, kind: notice.kind, rule: notice.ruleId, ...notice.logFields };

  const silence = notice.silenceSubject
    ? activeSilenceFor(notice.silenceSubject, ctx.silencedAt, config.silences)
    : null;
  if (silence && notice.whenSilenced === 'hold') {
    logger.info('Notice held back by a silence; it goes out once the silence ends', {
      ...fields,
      silence: silence.id,
    });
    return 'held';
  }

  const claim = await claimForRun(deps, notice.key, expiresAtSec);
  if (claim === 'already-sent' || claim === 'dead-letter') {
    summary.duplicatesSuppressed += 1;
    // A recorded message settled by an earlier run that died before finishing its record:
    // finish recording what it covered.
    if (notice.outbox) await settleCovered(ctx, notice, `summary:${notice.key}`);
    return 'duplicate';
  }
  if (claim === 'in-progress') {
    summary.alertsInProgressElsewhere += 1;
    return 'in-progress';
  }

  if (silence) return recordSilenced(ctx, notice, silence);

  const rendered = notice.render();
  // Machine subscribers (and the soak's accounting) can tell this exact notice apart from the
  // others of the same alert: a group's dedup key is shared by its firing, updates and resolution.
  const message = forChannel(
    config,
    notice.key === rendered.dedupKey
      ? rendered
      : { ...rendered, json: { ...rendered.json, noticeKey: notice.key } },
  );
  if (notice.outbox) {
    await store.putOutbox({ key: notice.key, message, covers: [...(notice.covers ?? [])] }, expiresAtSec);
  }
  let messageId: string;
  try {
    ({ messageId } = await notifier.publish(message));
  } catch (error) {
    return publishFailed(ctx, notice, message, error as Error);
  }
  // Outside the try: a state write failing after the channel accepted is not a publish
  // failure. It fails the run, and the next run repeats at most this one message.
  await complete(ctx, notice, messageId);
  if (notice.kind === 'catch-up-summary') {
    // Counted apart from alertsPublished, which is what the alert budget limits.
    summary.catchUpSummaries += 1;
    summary.findingsSummarized += notice.covers?.length ?? 0;
  } else {
    summary.alertsPublished += 1;
    increment(summary.alertsPublishedByRule, notice.ruleId);
  }
  if (notice.kind === 'group' && notice.stage) {
    summary.groupNotices += 1;
    increment(summary.groupNoticesByKind, notice.stage);
  } else if (notice.kind === 'window' && notice.stage) {
    summary.windowNotices += 1;
    increment(summary.windowNoticesByKind, notice.stage);
  } else if (notice.kind === 'traffic' && notice.stage) {
    summary.trafficNotices += 1;
    increment(summary.trafficNoticesByKind, notice.stage);
  }
  logger.info('Notice published', { ...fields, stage: notice.stage, messageId });
  return 'published';
}

/** Marks the notice and everything it covers as sent, then drops its outbox entry. */
async function complete(ctx: SendContext, notice: Notice, messageId: string): Promise<void> {
  await ctx.deps.store.completeAlert(notice.key, {
    nowMs: ctx.deps.now().getTime(),
    messageId,
    expiresAtSec: ctx.expiresAtSec,
  });
  await settleCovered(ctx, notice, messageId);
}

/**
 * Records what a notice covered as settled by `messageId`, then drops its outbox entry (in that
 * order: a crash in between leaves the entry, and the next run finishes the record from it).
 */
async function settleCovered(ctx: SendContext, notice: Notice, messageId: string): Promise<void> {
  const { store } = ctx.deps;
  const nowMs = ctx.deps.now().getTime();
  for (const key of notice.covers ?? []) {
    await store.completeAlert(key, { nowMs, messageId, expiresAtSec: ctx.expiresAtSec });
  }
  if (notice.outbox) await store.deleteOutbox(notice.key);
}

async function recordSilenced(ctx: SendContext, notice: Notice, silence: ActiveSilence): Promise<SendResult> {
  const { deps, summary } = ctx;
  await complete(ctx, { ...notice, outbox: false }, `silenced:${silence.id}`);
  summary.alertsSilenced += 1;
  increment(summary.alertsSilencedByRule, notice.ruleId);
  deps.logger.info('Alert silenced; recorded and not sent', {
    key: notice.key,
    rule: notice.ruleId,
    silence: silence.id,
    silenceKind: silence.kind,
    silenceEndsAt: silence.endsAt,
  });
  return 'silenced';
}

async function publishFailed(
  ctx: SendContext,
  notice: Notice,
  message: AlertMessage,
  error: Error,
): Promise<SendResult> {
  const { deps, summary, expiresAtSec } = ctx;
  const { store, logger, config } = deps;
  const fields = { key: notice.key, kind: notice.kind, rule: notice.ruleId, ...notice.logFields };
  const rejectedForGood = error instanceof NotificationRejectedError;
  // A message kept in the outbox keeps what it covers: the channel may have taken it after
  // all (a timeout), so the next run sends this same message again, never its findings one by
  // one. Without an outbox entry, the covered claims are given back.
  const releaseCovered = () =>
    notice.outbox
      ? Promise.resolve()
      : Promise.all((notice.covers ?? []).map((key) => store.releaseAlert(key).catch(() => 0)));

  if (!rejectedForGood) {
    // The claim is given back (if that fails too, it expires with this run's time).
    await store.releaseAlert(notice.key).catch(() => 0);
    await releaseCovered();
    summary.publishFailures += 1;
    summary.publishFailureReasons.push(`${notice.key}: ${error.message}`);
    logger.error('Publishing a notice failed; it stays owed and the next run retries it', {
      ...fields,
      error: error.message,
    });
    return 'failed';
  }

  const rejections = await store.releaseAlert(notice.key, { reason: error.message });
  const limit = config.notifications.deadLetterAfterRejections;
  if (rejections < limit) {
    await releaseCovered();
    summary.publishFailures += 1;
    summary.publishFailureReasons.push(
      `${notice.key}: refused ${rejections} of ${limit} time(s): ${error.message}`,
    );
    logger.error('The channel refused a notice; it is retried next run, then set aside', {
      ...fields,
      error: error.message,
      rejections,
      deadLetterAfter: limit,
    });
    return 'failed';
  }
  // Refused for good, run after run: set it aside so every other alert keeps flowing. It is
  // kept with its reason, counted, and named in one operations message.
  await store.deadLetterAlert(notice.key, {
    subject: message.subject,
    reason: error.message,
    rejections,
    covers: notice.covers,
    nowMs: deps.now().getTime(),
    expiresAtSec,
  });
  // What it covered (the findings of a summary) went nowhere either: they are set aside with it.
  await settleCovered(ctx, notice, `dead-letter:${notice.key}`);
  summary.alertsDeadLettered += 1;
  summary.deadLetters.push({ key: notice.key, subject: message.subject, reason: error.message });
  logger.error('The channel refused a notice for good; set aside as a dead letter', {
    ...fields,
    subject: message.subject,
    error: error.message,
    rejections,
  });
  return 'dead-lettered';
}

/**
 * Claims a finding that is not sent on its own: past the alert budget (it goes out inside the
 * catch-up summary) or counted into its alert group. Whatever carries it completes it.
 */
export async function claimWithoutSending(
  ctx: SendContext,
  finding: Finding,
  into: Array<{ finding: Finding; dedupKey: string }>,
): Promise<'claimed' | 'duplicate' | 'in-progress'> {
  const dedupKey = alertDedupKey(finding);
  const claim = await claimForRun(ctx.deps, dedupKey, ctx.expiresAtSec);
  if (claim === 'in-progress') {
    ctx.summary.alertsInProgressElsewhere += 1;
    return 'in-progress';
  }
  if (claim !== 'claimed') {
    ctx.summary.duplicatesSuppressed += 1;
    return 'duplicate';
  }
  into.push({ finding, dedupKey });
  return 'claimed';
}
