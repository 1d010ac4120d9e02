/**
 * CloudFormation/SAM short-form intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, ...) for the `yaml` library:
 * `cfn.ref('X')` etc. stringify as tags; `parseCfnYaml` reads any template that uses them into the long form
 * (`{Ref: X}`, `{'Fn::GetAtt': [A, B]}`, ...), which is what CloudFormation itself sees.
 */
import { parse, stringify, type ScalarTag, type CollectionTag, type YAMLMap, type YAMLSeq } from 'yaml';

export class Intrinsic {
  constructor(readonly tag: string, readonly value: string) {}
}

export const cfn = {
  ref: (v: string) => new Intrinsic('!Ref', v),
  getAtt: (resource: string, attr: string) => new Intrinsic('!GetAtt', `${resource}.${attr}`),
  sub: (v: string) => new Intrinsic('!Sub', v),
};

const WRITE_TAGS: ScalarTag[] = ['!Ref', '!GetAtt', '!Sub'].map((tag) => ({
  tag,
  identify: (v: unknown) => v instanceof Intrinsic && v.tag === tag,
  resolve: (s: string) => new Intrinsic(tag, s),
  // Plain for logical ids; double-quoted (JSON) otherwise: safe for `${...}`, `:` and `*` in ARNs.
  stringify: (item) => {
    const v = (item.value as Intrinsic).value;
    return /^[A-Za-z][A-Za-z0-9.]*$/.test(v) ? v : JSON.stringify(v);
  },
}));

/**
 * YAML that YAML 1.1 readers (PyYAML in SAM/cfn-lint, go-yaml in faas-cli) read the same way: strings such as
 * `2010-09-09`, `on` or `yes` are quoted; no anchors/aliases for repeated objects.
 */
export function stringifyYaml(doc: unknown): string {
  return stringify(doc, { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 });
}

export function stringifyCfnYaml(doc: unknown): string {
  return stringify(doc, { version: '1.1', aliasDuplicateObjects: false, customTags: WRITE_TAGS, lineWidth: 0 });
}

const FN_NAMES = ['Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub',
  'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'ToJsonString', 'Length'];

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

const READ_TAGS: (ScalarTag | CollectionTag)[] = ['Ref', 'Condition', ...FN_NAMES].flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => longForm(name, s) } as ScalarTag,
  { tag: `!${name}`, collection: 'seq', resolve: (seq: YAMLSeq) => longForm(name, seq.toJSON()) } as unknown as CollectionTag,
  { tag: `!${name}`, collection: 'map', resolve: (map: YAMLMap) => longForm(name, map.toJSON()) } as unknown as CollectionTag,
]);

/** Parses a CloudFormation/SAM YAML template; intrinsic short forms become their long (JSON) forms. */
export function parseCfnYaml(text: string): unknown {
  return parse(text, { customTags: READ_TAGS });
}
