/**
 * The Step Functions state machine (Amazon States Language) that chains the Lambda slices: one Task per slice,
 * one Parallel state per group of sub-slices. State = `{tensors: {...}}`; each Task passes the whole state as
 * the payload and keeps the function's result (`$.Payload`); a Parallel state merges its branches' tensor maps
 * with States.JsonMerge, so the next state sees one map again.
 */
import type { Stage } from './manifest.js';

export type AslState = Record<string, unknown>;
export interface AslDefinition { Comment: string; StartAt: string; States: Record<string, AslState>; TimeoutSeconds?: number }

// Transient Lambda service errors worth retrying (AWS's recommended set for lambda:invoke).
const RETRY = [{
  ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
  IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2,
}];
const MAX_MERGE_NESTING = 10; // intrinsic functions nest at most this deep

/** `arnVar(fn)`: the DefinitionSubstitutions variable holding that function's ARN. */
export function buildStateMachine(model: string, stages: Stage[], arnVar: (fn: string) => string, stateName: (fn: string) => string, timeoutS?: number): AslDefinition {
  const task = (fn: string): AslState => ({
    Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: `\${${arnVar(fn)}}`, 'Payload.$': '$' },
    OutputPath: '$.Payload', Retry: RETRY,
  });
  const states: Record<string, AslState> = {};
  const names = stages.map((s) => (s.functions.length === 1 ? stateName(s.functions[0]!.name) : `group-${s.group}`.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 80)));
  stages.forEach((s, i) => {
    const next = i + 1 < stages.length ? { Next: names[i + 1] } : { End: true };
    if (s.functions.length === 1) {
      states[names[i]!] = { ...task(s.functions[0]!.name), ...next };
      return;
    }
    const n = s.functions.length;
    let merge = '$[0].tensors';
    for (let k = 1; k < n; k++) merge = `States.JsonMerge(${merge}, $[${k}].tensors, false)`;
    states[names[i]!] = {
      Type: 'Parallel',
      Branches: s.functions.map((fn) => ({ StartAt: stateName(fn.name), States: { [stateName(fn.name)]: { ...task(fn.name), End: true } } })),
      // Over the nesting limit the array is passed on as is; the Lambda handler merges arrays itself.
      ...(n - 1 <= MAX_MERGE_NESTING ? { ResultSelector: { 'tensors.$': merge } } : {}),
      ...next,
    };
  });
  return {
    Comment: `mopar pipeline of ${model}: ${stages.length} stage(s), ${stages.reduce((a, s) => a + s.functions.length, 0)} function(s)`,
    StartAt: names[0]!, States: states, ...(timeoutS ? { TimeoutSeconds: timeoutS } : {}),
  };
}
