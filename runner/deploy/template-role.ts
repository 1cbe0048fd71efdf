// The execution role a template gives a function (Properties.Role), which the Function model does not keep:
// only a literal ARN can be deployed as is; `!GetAtt LambdaRole.Arn` and friends need CloudFormation.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { FunctionSpec } from '../functions/model.ts';

export type TemplateRole = { kind: 'arn'; arn: string } | { kind: 'unresolved'; text: string } | { kind: 'none' };

export function roleFromTemplate(fn: FunctionSpec): TemplateRole {
  const file = fn.source?.file;
  if (!file || !/\.(ya?ml|json)$/.test(file) || /serverless\.ya?ml$/.test(file)) return { kind: 'none' };
  let node: unknown;
  try {
    const doc = parseDocument(readFileSync(file, 'utf8'), { logLevel: 'silent', customTags: [] });
    node = doc.getIn(['Resources', fn.name, 'Properties', 'Role'], true);
  } catch {
    return { kind: 'none' };
  }
  if (node === undefined || node === null) return { kind: 'none' };
  if (isScalar(node) && typeof node.value === 'string' && !node.tag) {
    return /^arn:/.test(node.value) ? { kind: 'arn', arn: node.value } : { kind: 'unresolved', text: `"${node.value}"` };
  }
  if (isScalar(node)) return { kind: 'unresolved', text: `${node.tag ?? ''} ${String(node.value)}`.trim() };
  if (isMap(node)) return { kind: 'unresolved', text: JSON.stringify(node.toJSON()) };
  return { kind: 'unresolved', text: String(node) };
}
