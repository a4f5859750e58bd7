import type { Template } from 'aws-cdk-lib/assertions';

type Resource = { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown };

/** The logical ID of the one resource of `type` (matching `props`, if given). */
export function logicalIdOf(template: Template, type: string, props?: Record<string, unknown>): string {
  const found = Object.keys(template.findResources(type, props ? { Properties: props } : undefined));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.join(', ')}`);
  return found[0] as string;
}

export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

export const ref = (logicalId: string) => ({ Ref: logicalId });
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

export interface Permission {
  action: string;
  resource: unknown;
  effect: string;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every (action, resource) pair of every IAM policy attached to the role of the one Lambda function. */
export function functionPermissions(template: Template): { roleId: string; permissions: Permission[] } {
  const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
  if (functions.length !== 1) throw new Error(`expected one function, found ${functions.length}`);
  const roleArn = functions[0]?.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  const roleId = roleArn['Fn::GetAtt'][0];

  const permissions: Permission[] = [];
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = asArray(policy.Properties?.Roles as unknown[]);
    if (!roles.some((role) => JSON.stringify(role) === JSON.stringify(ref(roleId)))) continue;
    const document = policy.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    for (const statement of document.Statement) {
      for (const action of asArray(statement.Action as string | string[])) {
        for (const resource of asArray(statement.Resource)) {
          permissions.push({ action, resource, effect: statement.Effect as string });
        }
      }
    }
  }
  return { roleId, permissions };
}
