/**
 * The deploy targets by id, for `deploy()` and the README. Typed by types.ts's DeployTarget, so a name added there
 * fails to compile until its target is registered here.
 */
import { openfaas } from './openfaas.js';
import { lambda } from './lambda.js';
import { knative } from './knative.js';
import type { Target } from './target.js';
import type { DeployTarget } from './types.js';

const TARGETS: Readonly<Record<DeployTarget, Target>> = { openfaas, lambda, knative };

/** The target named `id`; undefined for an unknown name (the caller names DEPLOY_TARGETS). */
export function deployTarget(id: string): Target | undefined {
  return Object.hasOwn(TARGETS, id) ? TARGETS[id as DeployTarget] : undefined;
}
