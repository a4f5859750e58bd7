/**
 * A synthesized template as CloudFormation would deploy it, for tests that run the shipped
 * function against stand-ins: every resource gets a physical name or ARN of the shape its
 * service documents, and the intrinsic functions the template uses (Ref, Fn::GetAtt, Fn::Join,
 * Fn::Select, Fn::Split, Fn::Sub, the pseudo parameters) are resolved as CloudFormation does.
 * An intrinsic this does not know throws: a template that grows one fails loudly here.
 *
 * Shapes: the "Return values" section of each resource's page in the CloudFormation User Guide
 * (e.g. AWS::SNS::Topic: Ref returns the topic ARN; AWS::DynamoDB::Table: Ref returns the table
 * name, Arn `arn:aws:dynamodb:<region>:<account>:table/<name>`; AWS::SecretsManager::Secret: Ref
 * returns the ARN, `…:secret:<name>-<6 random characters>`; AWS::KMS::Key: Ref the key id, Arn
 * `arn:aws:kms:<region>:<account>:key/<id>`).
 */
import { createHash } from 'node:crypto';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

export interface DeployedStack {
  region: string;
  accountId: string;
  stackName: string;
  /** The value of { Ref: logicalId }. */
  ref(logicalId: string): string;
  /** The value of { "Fn::GetAtt": [logicalId, attribute] }. */
  getAtt(logicalId: string, attribute: string): string;
  /** Any template value with its intrinsics resolved. */
  resolve(value: unknown): unknown;
  resolveString(value: unknown): string;
}

/** A stable fake id of `size` characters from a logical id (the same on every run). */
const idOf = (logicalId: string, size: number, alphabet = 'abcdef0123456789') => {
  const digest = createHash('sha256').update(logicalId).digest();
  return Array.from(digest.subarray(0, size), (byte) => alphabet[byte % alphabet.length]).join('');
};

const uuidOf = (logicalId: string) => {
  const hex = idOf(logicalId, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export function deployStack(
  template: CfnTemplate,
  options: {
    region?: string;
    accountId?: string;
    stackName?: string;
    physicalNames?: Record<string, string>;
  } = {},
): DeployedStack {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const stackName = options.stackName ?? 'zentrunk-alerts-test';
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  const resourceOf = (logicalId: string): CfnResource => {
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource;
  };
  /** The name CloudFormation gives a resource: its own name property, else stack-logicalId-suffix. */
  const nameOf = (logicalId: string, property?: string) => {
    const given = options.physicalNames?.[logicalId];
    if (given) return given;
    const own = property ? resourceOf(logicalId).Properties?.[property] : undefined;
    if (typeof own === 'string') return own;
    return `${stackName}-${logicalId}-${idOf(logicalId, 12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
  };

  const ref = (logicalId: string): string => {
    switch (logicalId) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::NoValue':
        throw new Error('AWS::NoValue is not supported here');
    }
    const resource = resourceOf(logicalId);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return nameOf(logicalId, 'TableName');
      case 'AWS::SNS::Topic':
        return arn('sns', nameOf(logicalId, 'TopicName'));
      case 'AWS::SecretsManager::Secret':
        return arn(
          'secretsmanager',
          `secret:${nameOf(logicalId, 'Name')}-${idOf(logicalId, 6, 'AbCdEfGhIj')}`,
        );
      case 'AWS::KMS::Key':
        return uuidOf(logicalId);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${nameOf(logicalId, 'QueueName')}`;
      case 'AWS::Lambda::Function':
        return nameOf(logicalId, 'FunctionName');
      case 'AWS::Logs::LogGroup':
        return nameOf(logicalId, 'LogGroupName');
      case 'AWS::IAM::Role':
        return nameOf(logicalId, 'RoleName');
      case 'AWS::Events::Rule':
        return `${nameOf(logicalId, 'Name')}`;
      default:
        return nameOf(logicalId);
    }
  };

  const getAtt = (logicalId: string, attribute: string): string => {
    const resource = resourceOf(logicalId);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${ref(logicalId)}`);
      case 'AWS::SNS::Topic.TopicArn':
        return ref(logicalId);
      case 'AWS::SNS::Topic.TopicName':
        return nameOf(logicalId, 'TopicName');
      case 'AWS::KMS::Key.Arn':
        return arn('kms', `key/${ref(logicalId)}`);
      case 'AWS::KMS::Key.KeyId':
        return ref(logicalId);
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', nameOf(logicalId, 'QueueName'));
      case 'AWS::SQS::Queue.QueueUrl':
        return ref(logicalId);
      case 'AWS::SQS::Queue.QueueName':
        return nameOf(logicalId, 'QueueName');
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${ref(logicalId)}`);
      case 'AWS::Logs::LogGroup.Arn':
        return arn('logs', `log-group:${ref(logicalId)}:*`);
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${accountId}:role/${ref(logicalId)}`;
      case 'AWS::Events::Rule.Arn':
        return arn('events', `rule/${ref(logicalId)}`);
      case 'AWS::SecretsManager::Secret.Id':
        return ref(logicalId);
      default:
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not modelled`);
    }
  };

  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [name, arg] = entries[0] as [string, unknown];
      switch (name) {
        case 'Ref':
          return ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return getAtt(String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (resolve(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (resolve(list) as unknown[])[Number(resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(resolve(source)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, variables] = Array.isArray(arg)
            ? (arg as [string, Record<string, unknown>])
            : [String(arg), {}];
          return text.replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
            if (expr in variables) return String(resolve(variables[expr]));
            const [id, attribute] = expr.split('.');
            return attribute === undefined ? ref(String(id)) : getAtt(String(id), attribute);
          });
        }
        default:
          if (name.startsWith('Fn::') || name === 'Condition') throw new Error(`${name} is not modelled`);
      }
    }
    return Object.fromEntries(entries.map(([key, inner]) => [key, resolve(inner)]));
  };

  return {
    region,
    accountId,
    stackName,
    ref,
    getAtt,
    resolve,
    resolveString: (value) => {
      const resolved = resolve(value);
      if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
      return resolved;
    },
  };
}

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** An IAM pattern (`*` and `?` wildcards) as a RegExp, as IAM matches actions and resources. */
export function iamPattern(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

export interface Statement {
  effect: string;
  actions: string[];
  resources: string[];
  condition?: Record<string, Record<string, unknown>>;
  /** Resource policies only: who the statement is about (null: an identity policy's, the role). */
  principals: string[] | null;
  /** Where the statement is: the logical id of the policy or key. */
  in: string;
  /** A resource policy's statement: about this resource (ARN), whatever its Resource says. */
  on?: string;
}

const principalsOf = (principal: unknown, resolve: (v: unknown) => unknown): string[] => {
  if (principal === '*') return ['*'];
  if (principal === null || typeof principal !== 'object') return [];
  return Object.entries(principal as Record<string, unknown>).flatMap(([kind, value]) =>
    (resolve(asArray(value as unknown)) as unknown[]).map((v) =>
      kind === 'AWS' ? String(v) : `${kind}:${String(v)}`,
    ),
  );
};

/**
 * Every statement that may decide what the role `roleLogicalId` may do: its identity policies
 * (AWS::IAM::Policy naming it, its inline Policies) and the resource policies of the template
 * (topic, queue and secret policies, key policies), whose principals are kept to be matched.
 */
export function statementsFor(
  template: CfnTemplate,
  stack: DeployedStack,
  roleLogicalId: string,
): Statement[] {
  const out: Statement[] = [];
  const add = (raw: Record<string, unknown>, where: string, resourcePolicyOn?: string[]) => {
    const base = {
      effect: String(raw.Effect),
      actions: asArray(raw.Action as string | string[]).map(String),
      resources: (stack.resolve(asArray(raw.Resource as unknown)) as unknown[]).map(String),
      condition: stack.resolve(raw.Condition) as Statement['condition'],
      in: where,
    };
    if (resourcePolicyOn === undefined) out.push({ ...base, principals: null });
    else
      for (const on of resourcePolicyOn)
        out.push({ ...base, principals: principalsOf(raw.Principal, stack.resolve), on });
  };
  const statementsIn = (document: unknown) =>
    asArray((document as { Statement?: unknown } | undefined)?.Statement) as Array<Record<string, unknown>>;
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Policy': {
        const roles = asArray(props.Roles as unknown[]);
        if (!roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }))) break;
        for (const statement of statementsIn(props.PolicyDocument)) add(statement, id);
        break;
      }
      case 'AWS::IAM::Role':
        if (id !== roleLogicalId) break;
        for (const policy of asArray(props.Policies as Array<{ PolicyDocument: unknown }>)) {
          for (const statement of statementsIn(policy.PolicyDocument)) add(statement, id);
        }
        break;
      case 'AWS::SNS::TopicPolicy':
        for (const statement of statementsIn(props.PolicyDocument))
          add(statement, id, (stack.resolve(asArray(props.Topics as unknown)) as unknown[]).map(String));
        break;
      case 'AWS::SQS::QueuePolicy': {
        const queues = (stack.resolve(asArray(props.Queues as unknown)) as unknown[]).map(String);
        // A queue policy names queues by URL; IAM evaluates it on the queue's ARN.
        const arns = queues.map((url) => {
          const [, , , account, name] = url.split('/');
          return `arn:aws:sqs:${stack.region}:${account}:${name}`;
        });
        for (const statement of statementsIn(props.PolicyDocument)) add(statement, id, arns);
        break;
      }
      case 'AWS::SecretsManager::ResourcePolicy':
        for (const statement of statementsIn(props.ResourcePolicy))
          add(statement, id, [stack.resolveString(props.SecretId)]);
        break;
      case 'AWS::KMS::Key':
        for (const statement of statementsIn(props.KeyPolicy)) add(statement, id, [stack.getAtt(id, 'Arn')]);
        break;
    }
  }
  return out;
}

/** What IAM knows about a request, for conditions. */
export interface RequestContext {
  roleArn: string;
  accountId: string;
  /** The service that made a KMS call on the caller's behalf (kms:ViaService). */
  viaService?: string;
}

const conditionValue = (key: string, ctx: RequestContext): string | undefined =>
  ({
    'aws:securetransport': 'true',
    'aws:principalarn': ctx.roleArn,
    'aws:principalaccount': ctx.accountId,
    'kms:calleraccount': ctx.accountId,
    'kms:viaservice': ctx.viaService,
  })[key.toLowerCase()];

/** A statement's Condition block, with the operators this stack uses; any other one throws. */
function conditionHolds(condition: Statement['condition'], ctx: RequestContext, where: string): boolean {
  for (const [operator, tests] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(tests)) {
      const actual = conditionValue(key, ctx);
      const wanted = asArray(expected as unknown).map(String);
      const holds = (() => {
        switch (operator) {
          case 'Bool':
          case 'StringEquals':
          case 'ArnEquals':
            return actual !== undefined && wanted.includes(actual);
          case 'StringNotEquals':
            return actual === undefined || !wanted.includes(actual);
          case 'StringLike':
          case 'ArnLike':
            return actual !== undefined && wanted.some((w) => iamPattern(w).test(actual));
          default:
            throw new Error(`condition operator ${operator} (in ${where}) is not modelled`);
        }
      })();
      if (!holds) return false;
    }
  }
  return true;
}

const principalMatches = (principals: string[], ctx: RequestContext) =>
  principals.some((p) => p === '*' || p === ctx.roleArn || p === `arn:aws:iam::${ctx.accountId}:root`);

/**
 * Whether the role may make `action` on `resource`, as IAM decides within one account: an
 * explicit Deny (identity or resource policy) wins; otherwise an Allow in the role's policies or
 * in the resource's policy naming it. A KMS key also needs its key policy to allow the role,
 * itself or through the account (root), which hands the decision to IAM.
 */
export function allows(
  statements: readonly Statement[],
  action: string,
  resource: string,
  ctx: RequestContext,
): boolean {
  const applies = (s: Statement) =>
    s.actions.some((a) => iamPattern(a).test(action)) &&
    (s.principals === null
      ? s.resources.some((r) => iamPattern(r).test(resource))
      : s.on === resource && principalMatches(s.principals, ctx)) &&
    conditionHolds(s.condition, ctx, s.in);
  const matching = statements.filter(applies);
  if (matching.some((s) => s.effect === 'Deny')) return false;
  const allowed = matching.filter((s) => s.effect === 'Allow');
  if (action.startsWith('kms:')) {
    const keyPolicy = allowed.filter((s) => s.principals !== null);
    const direct = keyPolicy.some((s) => s.principals?.includes(ctx.roleArn));
    const delegated = keyPolicy.some((s) => s.principals?.includes(`arn:aws:iam::${ctx.accountId}:root`));
    return direct || (delegated && allowed.some((s) => s.principals === null));
  }
  return allowed.length > 0;
}
