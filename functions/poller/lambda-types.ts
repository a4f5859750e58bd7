/** The parts of Lambda's event and context the poller uses (no @types/aws-lambda needed). */
export interface ScheduledEvent {
  id?: string;
  time?: string;
  'detail-type'?: string;
  source?: string;
}

export interface LambdaContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}
