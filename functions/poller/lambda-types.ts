/** The parts of Lambda's event and context the poller uses (no @types/aws-lambda needed). */
export interface ScheduledEvent {
  id?: string;
  time?: string;
  'detail-type'?: string;
  source?: string;
  /**
   * The Plivo account to poll: the schedule target's input for each account (absent: the
   * default account). Unknown until checked against the config.
   */
  account?: unknown;
}

export interface LambdaContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}
