import type { Command } from 'commander';
import { registerInspect } from './inspect.js';
import { registerZoo } from './zoo.js';
import { registerProfile } from './profile.js';
import { registerServe } from './serve.js';
import { registerInvoke } from './invoke.js';
import { registerDeploy } from './deploy.js';
import { registerBuild } from './build.js';
import { registerVerify } from './verify.js';
import { registerPartition } from './partition.js';
import { registerPlan } from './plan.js';
import { registerBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerLocalRun } from './local-run.js';

/** Every verb registers itself here; one file per verb. */
export const COMMANDS: Array<(program: Command) => void> = [
  registerInspect,
  registerZoo,
  registerProfile,
  registerServe,
  registerInvoke,
  registerDeploy,
  registerLocalRun,
  registerBuild,
  registerVerify,
  registerPartition,
  registerPlan,
  registerBench,
  registerDemo,
];
