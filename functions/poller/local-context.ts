import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * A Lambda context (@types/aws-lambda's `Context`) for a run started outside Lambda: the local
 * runner, the tests and the as-deployed test's Lambda host. Its remaining time runs down from
 * `timeoutMs` as Lambda's does; the names default to what Lambda's environment says, if set.
 */
export function localLambdaContext(
  options: { timeoutMs: number; awsRequestId?: string; env?: NodeJS.ProcessEnv; now?: () => number } = {
    timeoutMs: 240_000,
  },
): Context {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? 'zentrunk-alerts-local';
  const region = env.AWS_REGION ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '256',
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${functionName}`,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
