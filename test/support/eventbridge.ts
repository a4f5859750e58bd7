/**
 * What EventBridge hands a rule's Lambda target, built from the rule's target in a synthesized
 * template: the target's constant `Input`, its `InputTransformer` filled from the event, or the
 * event itself.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { ScheduleInput } from '../../lib/poll-schedule';
import { asArray } from './cloudformation';

/**
 * The event of a schedule rule, exactly as the AWS Lambda Developer Guide shows it ("Using
 * Lambda with Amazon EventBridge (scheduled events)", example event), typed with
 * @types/aws-lambda's `ScheduledEvent`. Only `time`, `region`, `account` and `resources` are
 * filled in per rule; everything else is AWS's example as printed.
 */
export const DOCUMENTED_SCHEDULED_EVENT: ScheduledEvent = {
  version: '0',
  account: '123456789012',
  region: 'us-east-2',
  detail: {},
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: '2019-03-01T01:23:45Z',
  id: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c',
  resources: ['arn:aws:events:us-east-2:123456789012:rule/my-schedule'],
};

/** The scheduled event EventBridge delivers for `ruleArn` at `time`. */
export function scheduledEvent(options: {
  ruleArn: string;
  time: Date;
  region: string;
  accountId: string;
  id?: string;
}): ScheduledEvent {
  return {
    ...DOCUMENTED_SCHEDULED_EVENT,
    id: options.id ?? DOCUMENTED_SCHEDULED_EVENT.id,
    account: options.accountId,
    region: options.region,
    // EventBridge's timestamps have whole seconds ("2019-03-01T01:23:45Z").
    time: `${options.time.toISOString().slice(0, 19)}Z`,
    resources: [options.ruleArn],
  };
}

/** The value at a JSON path of the dotted form InputPathsMap takes ($, $.a, $.a.b, $.a[0]). */
function valueAt(event: unknown, path: string): unknown {
  if (path === '$') return event;
  if (!path.startsWith('$.')) throw new Error(`unsupported input path ${path}`);
  let value: unknown = event;
  for (const part of path.slice(2).split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`unsupported input path ${path}`);
    value = (value as Record<string, unknown> | undefined)?.[m[1] as string];
    for (const index of (m[2] ?? '').matchAll(/\[(\d+)\]/g))
      value = (value as unknown[] | undefined)?.[Number(index[1])];
  }
  return value;
}

/**
 * EventBridge's input transformer, as its documentation describes it ("Amazon EventBridge input
 * transformation"): variables from InputPathsMap and the predefined ones
 * (aws.events.rule-arn, aws.events.rule-name, aws.events.event.ingestion-time,
 * aws.events.event — the event without `detail` — and aws.events.event.json — the whole
 * event); a placeholder inside a JSON string takes the value's text, one outside takes the value
 * as JSON.
 */
export function transformInput(
  transformer: { InputTemplate: string; InputPathsMap?: Record<string, string> },
  event: ScheduledEvent,
  rule: { arn: string; name: string },
): unknown {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {}))
    values.set(name, valueAt(event, path));
  const { detail: _detail, ...withoutDetail } = event;
  values.set('aws.events.rule-arn', rule.arn);
  values.set('aws.events.rule-name', rule.name);
  values.set('aws.events.event.ingestion-time', event.time);
  values.set('aws.events.event', withoutDetail);
  values.set('aws.events.event.json', event);
  const template = transformer.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (values.has(name)) {
        const value = values.get(name);
        out += inString
          ? typeof value === 'string'
            ? value
            : JSON.stringify(value)
          : JSON.stringify(value ?? null);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return JSON.parse(out);
}

export interface RuleTarget {
  ruleLogicalId: string;
  ruleArn: string;
  ruleName: string;
  scheduleExpression: string;
  /** What the target gets on each tick. */
  eventAt(time: Date): unknown;
}

/** Every target of every rule in the template that starts the function `functionArn`. */
export function ruleTargetsOf(
  template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> },
  resolve: (value: unknown) => unknown,
  functionArn: string,
  where: { region: string; accountId: string },
): RuleTarget[] {
  const targets: RuleTarget[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const props = resource.Properties ?? {};
    const ruleName = String(props.Name ?? id);
    const ruleArn = `arn:aws:events:${where.region}:${where.accountId}:rule/${ruleName}`;
    for (const target of asArray(props.Targets as Array<Record<string, unknown>>)) {
      if (resolve(target.Arn) !== functionArn) continue;
      const input = target.Input as string | undefined;
      const transformer = target.InputTransformer as
        { InputTemplate: string; InputPathsMap?: Record<string, string> } | undefined;
      const eventAt = (time: Date) => {
        const event = scheduledEvent({ ruleArn, time, ...where });
        if (input !== undefined) return JSON.parse(String(resolve(input)));
        if (transformer !== undefined) {
          return transformInput(resolve(transformer) as typeof transformer, event, {
            arn: ruleArn,
            name: ruleName,
          });
        }
        return event;
      };
      targets.push({
        ruleLogicalId: id,
        ruleArn,
        ruleName,
        scheduleExpression: String(props.ScheduleExpression),
        eventAt,
      });
    }
  }
  return targets;
}

/**
 * What the stack's schedule rule for `plivoAccount` hands the poller at `time`: the rule's own
 * input transformer (lib/poll-schedule.ts) applied to AWS's documented scheduled event.
 */
export function stackScheduleInput(plivoAccount: string, time: Date = new Date()): unknown {
  const ruleArn = `arn:aws:events:us-east-1:123456789012:rule/zentrunk-alerts-${plivoAccount}`;
  const bound = new ScheduleInput(plivoAccount).bind(undefined as never);
  return transformInput(
    { InputTemplate: bound.inputTemplate as string, InputPathsMap: bound.inputPathsMap },
    scheduledEvent({ ruleArn, time, region: 'us-east-1', accountId: '123456789012' }),
    { arn: ruleArn, name: `zentrunk-alerts-${plivoAccount}` },
  );
}
