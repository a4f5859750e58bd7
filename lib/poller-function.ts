import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_ACCOUNT } from '../functions/core/accounts';
import type { AlertConfig } from '../functions/core/config/schema';
import { ENV } from '../functions/core/contract';
import type { AlertTopic } from './alert-topic';
import type { POLLER_LOG_LEVELS } from './config/deployment-schema';
import type { OperationsTopic } from './operations-topic';
import { writeBundledFileCommand } from './bundled-file';
import { POLLER_BUNDLING } from './poller-bundling';
import type { PlivoCredentials } from './plivo-credentials';
import type { StateTable } from './state-table';

/**
 * The validated runtime config ships inside the bundle. Its path in the environment is relative:
 * the poller resolves it against LAMBDA_TASK_ROOT, the directory Lambda unpacked the code into
 * (/var/task today), rather than a path written here.
 */
export const ALERT_CONFIG_FILE_NAME = 'alert-config.json';
export const ALERT_CONFIG_PATH = ALERT_CONFIG_FILE_NAME;

export interface PollerFunctionProps {
  /** The handler source, e.g. functions/poller/handler.ts (exports `handler`). */
  readonly entry: string;
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
  /** Written to the bundle as alert-config.json; the poller validates it again at start-up. */
  readonly runtimeConfig: AlertConfig;
  readonly memoryMb: number;
  readonly timeout: Duration;
  readonly logRetentionDays: number;
  /** The application log level: Lambda filters the poller's lines by it, and the poller reads it. */
  readonly logLevel: (typeof POLLER_LOG_LEVELS)[number];
  readonly plivoApiBaseUrl: string;
  /** One schedule interval: a tick older than this is superseded by the next one. */
  readonly scheduleInterval: Duration;
  readonly stateTable: StateTable;
  readonly alertTopic: AlertTopic;
  /** Where the poller reports its own health; omitted when that is the alert topic. */
  readonly operationsTopic?: OperationsTopic;
  /** The credentials secret of each watched account, by account name ("default" for the default). */
  readonly plivoCredentials: ReadonlyMap<string, PlivoCredentials>;
}

/**
 * The poller Lambda: bundled locally with esbuild as ESM for Node.js 24 on arm64, one run at a
 * time per Plivo account, with its own log group and a queue that keeps a record of every
 * failed run.
 */
export class PollerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  /** Failed runs (after retries) and schedule ticks EventBridge could not deliver. */
  readonly failedRuns: Queue;

  constructor(scope: Construct, id: string, props: PollerFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Its own role rather than the default one with AWSLambdaBasicExecutionRole: that managed
    // policy allows writing to every log group, this role only to the one above.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'zentrunk-alerts poller',
    });
    this.logGroup.grantWrite(role);

    this.failedRuns = new Queue(this, 'FailedRuns', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: a failed run stays inspectable for two weeks.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedRuns).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the poller (Lambda on-failure destination ' +
        'and EventBridge target DLQ); nothing consumes it, so it needs no dead-letter queue of its own.',
    });

    const configJson = `${JSON.stringify(props.runtimeConfig, null, 2)}\n`;
    requireLocalEsbuild(props.projectRoot);

    this.function = new NodejsFunction(this, 'Function', {
      description: 'Polls Plivo Zentrunk calls and insights, evaluates alert rules, publishes alerts',
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      // JSON lines, filtered by level: the poller's logger (Powertools) writes JSON and reads the
      // level Lambda sets (AWS_LAMBDA_LOG_LEVEL), so `function.logLevel` switches debug lines on.
      // System logs at INFO keep each invocation's REPORT line (duration, memory).
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: SystemLogLevel.INFO,
      // One run per account at a time, the accounts side by side: an account's runs share a
      // cursor (its lease in the state store is the second line), accounts share nothing.
      reservedConcurrentExecutions: props.plivoCredentials.size,
      // No retry: the next scheduled run starts from the saved cursor anyway, and a retry of a
      // run that failed for a lasting reason (bad credentials, Plivo down) would only double the
      // noise. A failed run goes straight to the failed-runs queue and its alarm.
      retryAttempts: 0,
      maxEventAge: props.scheduleInterval,
      onFailure: new SqsDestination(this.failedRuns),
      environment: {
        [ENV.stateTableName]: props.stateTable.table.tableName,
        [ENV.alertTopicArn]: props.alertTopic.topic.topicArn,
        ...secretEnvironment(this, props.plivoCredentials),
        [ENV.alertConfigFile]: ALERT_CONFIG_PATH,
        [ENV.scheduleSeconds]: String(props.scheduleInterval.toSeconds()),
        [ENV.plivoApiBaseUrl]: props.plivoApiBaseUrl,
        ...(props.operationsTopic ? { [ENV.opsTopicArn]: props.operationsTopic.topic.topicArn } : {}),
        // No NODE_OPTIONS=--enable-source-maps. Measured (`npm run bench -- --section 6`): it
        // costs little to load (+10 to +30 ms, within the noise of a shared machine), but the
        // first error stack a container reads (a failed run, logged) parses the whole ~770 KB
        // source map: 42–45 ms and ~25 MB more RSS (2026-12-03), paid in the
        // runs that are already in trouble and in a function sized in MB. The errors that end
        // runs say what happened in their message and `failure` kind; the minified frames are
        // mapped offline with index.mjs.map, which stays in the asset (Node reads it only with
        // the flag, so shipping it costs nothing at run time).
        // A quarter of the memory for V8's old space and 4 MB semi-spaces: the poller keeps one
        // slice of calls at a time (peak RSS measured by `npm run bench`, section 5, with these
        // caps: 137 MB at 2,000 calls, 138–145 MB at 20,000, throughput unchanged), while an
        // uncapped heap grows lazily towards the whole function before it collects.
        NODE_OPTIONS: `--max-old-space-size=${heapMbFor(props.memoryMb)} --max-semi-space-size=4`,
      },
      bundling: {
        // Synth must work offline and in CI: the esbuild from node_modules, never Docker.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // The options the benchmarks bundle with too (lib/poller-bundling.ts).
        mainFields: [...POLLER_BUNDLING.mainFields],
        banner: POLLER_BUNDLING.banner,
        target: POLLER_BUNDLING.target,
        minify: POLLER_BUNDLING.minify,
        sourceMap: POLLER_BUNDLING.sourceMap,
        sourcesContent: POLLER_BUNDLING.sourcesContent,
        // esbuild's --alias:<package>=<path> (CDK passes --alias as <key>:<value>).
        esbuildArgs: {
          '--alias': Object.entries(POLLER_BUNDLING.alias).map(([name, path]) => `${name}=${path}`),
        },
        // Ship the SDK versions the tests ran against, not whatever the runtime has today.
        bundleAwsSDK: true,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The config rides in the bundle (no 4 KB environment limit), so a changed threshold
          // changes the asset hash and `cdk deploy` updates the function.
          afterBundling: (_inputDir, outputDir) => [
            writeBundledFileCommand(outputDir, ALERT_CONFIG_FILE_NAME, configJson),
          ],
        },
      },
    });

    props.stateTable.grantStateStore(this.function);
    props.alertTopic.grantPublish(this.function);
    props.operationsTopic?.grantPublish(this.function);
    for (const credentials of props.plivoCredentials.values()) credentials.grantRead(this.function);
  }
}

/**
 * Where each account's credentials are (names and ARNs, never a value): the default account's
 * secret in PLIVO_CREDENTIALS_SECRET_ARN as before accounts, the others' as one JSON object in
 * PLIVO_ACCOUNT_SECRET_ARNS. Each ARN is ~100 characters of the 4 KB environment (MAX_ACCOUNTS).
 */
function secretEnvironment(
  scope: Construct,
  credentials: ReadonlyMap<string, PlivoCredentials>,
): Record<string, string> {
  const others = [...credentials].filter(([name]) => name !== DEFAULT_ACCOUNT);
  const main = credentials.get(DEFAULT_ACCOUNT);
  return {
    ...(main ? { [ENV.plivoCredentialsSecretArn]: main.secret.secretArn } : {}),
    ...(others.length > 0
      ? {
          [ENV.plivoAccountSecretArns]: Stack.of(scope).toJsonString(
            Object.fromEntries(others.map(([name, each]) => [name, each.secret.secretArn])),
          ),
        }
      : {}),
  };
}

/** V8 old-space cap for a function of `memoryMb`: a quarter of it, at least 64 MB. */
export function heapMbFor(memoryMb: number): number {
  return Math.max(64, Math.floor(memoryMb / 4));
}

/**
 * Stops the app when esbuild is not installed. NodejsFunction would fall back to bundling in
 * Docker, which this project never uses: synth must work offline, and the bundle's credential
 * alias (lib/poller-bundling.ts) is a path on this machine that a container would not have.
 */
export function requireLocalEsbuild(projectRoot: string): void {
  try {
    createRequire(join(projectRoot, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error(
      `esbuild is not installed under ${projectRoot}: run \`npm ci\` (the poller is bundled locally with esbuild, never in Docker)`,
    );
  }
}
