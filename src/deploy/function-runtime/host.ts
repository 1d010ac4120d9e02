/** Loads one generated function folder: its function.json and, once per process, the slice's session. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createFunctionCore, downloadAll, s3OptionsFromEnv, s3Store, type FunctionCore, type ObjectStore } from '../../runtime/lean.js';
import type { Feeds } from '../../graph/index.js';
import type { FunctionConfig } from './config.js';
import { WireError } from './wire.js';

export interface Host {
  config: FunctionConfig;
  /** Runs the slice on the inputs it names (extra tensors are ignored); returns only its outputs. */
  invoke(feeds: Feeds): Promise<Feeds>;
  core(): Promise<FunctionCore>;
}

/** Where OpenFaaS mounts a function's secrets (one file per secret). */
const OPENFAAS_SECRETS = '/var/openfaas/secrets';

/** The weights store: MOPAR_S3_ENDPOINT and the SDK's credentials, or an OpenFaaS function's two secrets. */
function weightsStore(env: Record<string, string | undefined>): ObjectStore {
  const opts = s3OptionsFromEnv(env);
  const secret = (n: string) => join(env.MOPAR_SECRETS_DIR ?? OPENFAAS_SECRETS, n);
  if (existsSync(secret('mopar-weights-access-key-id')) && existsSync(secret('mopar-weights-secret-access-key'))) {
    opts.credentials = {
      accessKeyId: readFileSync(secret('mopar-weights-access-key-id'), 'utf8').trim(),
      secretAccessKey: readFileSync(secret('mopar-weights-secret-access-key'), 'utf8').trim(),
    };
  }
  return s3Store(opts);
}

/**
 * deploy --weights s3: the slice's objects, all at once (one stream each), into a temporary folder of this
 * instance (Lambda's /tmp, the container's writable /tmp); the path of its model file.
 */
async function fetchWeights(w: NonNullable<FunctionConfig['weights']>, env: Record<string, string | undefined>, store?: ObjectStore): Promise<string> {
  const bucket = env.MOPAR_WEIGHTS_BUCKET;
  if (!bucket) throw new Error('MOPAR_WEIGHTS_BUCKET is not set (deploy --weights s3)');
  try {
    const { dir } = await downloadAll(store ?? weightsStore(env), bucket, w.keys);
    return join(dir, basename(w.main));
  } catch (err) {
    throw new Error(`could not fetch the weights from bucket '${bucket}': ${(err as Error).message}`, { cause: err });
  }
}

export function loadHost(dir: string, opts: { env?: Record<string, string | undefined>; weightsStore?: ObjectStore } = {}): Host {
  const config = JSON.parse(readFileSync(join(dir, 'function.json'), 'utf8')) as FunctionConfig;
  const env = opts.env ?? process.env;
  let core: Promise<FunctionCore> | undefined;
  const open = (path: string) => createFunctionCore(path, { threads: config.threads, inputs: config.inputs, outputs: config.outputs });
  // Fetched weights are removed once the session holds them (read, or memory-mapped: a mapping outlives the
  // file's name), as the embedded runtime's host does: /tmp does not keep a second copy for the instance's life.
  const fetchedCore = async (w: NonNullable<FunctionConfig['weights']>) => {
    const path = await fetchWeights(w, env, opts.weightsStore);
    try {
      return await open(path);
    } finally {
      rmSync(dirname(path), { recursive: true, force: true });
    }
  };
  const getCore = () => (core ??= config.weights ? fetchedCore(config.weights) : open(join(dir, config.model)));
  // Load the slice at start-up (Lambda's init phase, the container's start), not on the first request; a load
  // error still surfaces on every invocation.
  getCore().catch(() => {});
  return {
    config,
    core: getCore,
    async invoke(feeds) {
      const mine: Feeds = {};
      for (const name of config.inputs) {
        const t = feeds[name];
        if (!t) throw new WireError(`function '${config.name}' needs input tensor '${name}'`);
        mine[name] = t;
      }
      const out = await (await getCore()).invoke(mine);
      const res: Feeds = {};
      for (const name of config.outputs) {
        if (!out[name]) throw new Error(`function '${config.name}' did not produce '${name}'`);
        res[name] = out[name]!;
      }
      return res;
    },
  };
}
