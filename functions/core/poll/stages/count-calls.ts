import { AlerterError, SourceUnavailableError } from '../../errors';
import type { CallSource, Logger, ReadRange } from '../../ports';
import { isoRange } from '../plan-read-range';

/**
 * Plivo's count of a range, which only sizes the work: if Plivo will not give it (a refused or
 * unreadable answer) the range is read in slices of at most five minutes, unsampled, and the run goes on. Plivo
 * being down or refusing the credentials ends the run here, as listing would.
 */
export async function countCalls(
  ctx: { source: CallSource; logger: Logger },
  range: ReadRange,
): Promise<number | null> {
  try {
    return await ctx.source.countCalls(range);
  } catch (error) {
    if (error instanceof SourceUnavailableError) throw error;
    if (error instanceof AlerterError && error.failure === 'plivo-credentials-rejected') throw error;
    ctx.logger.warn('Plivo did not count the calls in a range; reading it in slices of at most 5 minutes', {
      range: isoRange(range),
      error: (error as Error).message,
    });
    return null;
  }
}
