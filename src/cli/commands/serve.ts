import type { Command } from 'commander';
import { log, errorMessage, MoparError } from '../../core/index.js';
import { readFileSync } from 'node:fs';
import { Gateway, DEFAULT_GATEWAY, batchingFromPlan, warmMinimum, parseKeepAlive, startLocalS3, loadServable, type LocalS3, type Transport } from '../../runtime/index.js';
import { PLATFORMS, getPlatform } from '../../plan/index.js';
import { isFleet, loadFleet } from '../../partition/index.js';
import { examples, intOption, numberOption, scaleOutOption } from '../options.js';

/** A TCP port: a whole number 0–65535 written as digits ('' or '8e3' are refused, not read as 0 or 8000). */
function portOption(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value.trim()) || n > 65535) throw new MoparError(`--port must be an integer from 0 to 65535 (0 = any free port), got '${value}'`);
  return n;
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new MoparError(`${name} must be a number > 0, got '${value}'`);
    return n;
  };
}

export function registerServe(program: Command): void {
  const cmd = program.command('serve')
    .description('local serverless runtime: one process per function instance, Open Inference Protocol gateway')
    .argument('<dir...>', 'built directories (with manifest.json, or a fleet\'s fleet.json: all its models) or plain ONNX files, served side by side')
    .option('--port <n>', 'port (0 = any free one)', portOption, 8080)
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--max-instances <n>', 'instances per function at most', intOption('--max-instances'), DEFAULT_GATEWAY.pool.maxInstances)
    .option('--min-instances <n>', 'instances per function kept started from serve on, never reclaimed, restarted if one dies (a warm minimum, at most --max-instances); overrides a --batching plan\'s groups[].minInstances', intOption('--min-instances', 0))
    .option('--max-inflight <n>', 'concurrent invocations per instance (1 like Lambda)', intOption('--max-inflight'), DEFAULT_GATEWAY.pool.maxInFlight)
    .option('--scale-out <policy>', 'when every instance is busy: eager (start one at once, as Lambda; default) or patient (start one only once the queue\'s expected wait exceeds a start)', scaleOutOption)
    .option('--concurrency <n>', 'requests in flight per instance, as Cloud Run --concurrency / Knative containerConcurrency (the same as --max-inflight, which it overrides; default 1)', intOption('--concurrency'))
    .option('--target-utilisation <f>', 'with more than one request in flight per instance: start another instance when the instances\' busy share reaches this (default 0.6, the CPU target of Cloud Run\'s autoscaler; 1: only once every instance holds --concurrency requests)', numberOption('--target-utilisation'))
    .option('--keep-warm <s>', 'seconds an idle instance stays warm', numberOption('--keep-warm'), DEFAULT_GATEWAY.pool.keepWarmMs / 1000)
    .option('--keep-alive <policy>', 'keep-alive / pre-warm policy of every function: fixed:MS, or histogram[:range=MS,bin=MS,head=PCT,tail=PCT,margin=F,min=N,oob=F] (Shahrad et al. ATC\'20: unload, pre-warm at the idle-time head, keep until its tail; falls back to --keep-warm while it has too few samples)')
    .option('--no-warm-up', 'start a function when its input arrives, not when its request enters the chain')
    .option('--queue <n>', 'requests that may wait per function (429 above); auto: as many as the measured throughput serves within --queue-timeout (503 + Retry-After past that, 429 past 1024)', (v: string) => (v === 'auto' ? 'auto' as const : intOption('--queue', 0)(v)), DEFAULT_GATEWAY.pool.queueMax)
    .option('--queue-timeout <s>', 'seconds a request may wait for an instance (503 after)', numberOption('--queue-timeout'), DEFAULT_GATEWAY.pool.queueTimeoutMs / 1000)
    .option('--transport <t>', 'override every edge: inline | compressed | shm')
    .option('--no-limits', 'do not enforce CPU quota and memory limit with cgroups')
    .option('--no-arena', 'serve without onnxruntime\'s CPU memory arena (less resident memory between calls, much slower on dynamic shapes)')
    .option('--prepacking', 'let onnxruntime pre-pack weights (faster GEMM, a second copy of GEMM weights the memory plan does not count)')
    .option('--optimization <level>', 'onnxruntime graph optimisation: disabled | basic | extended | all', 'all')
    .option('--no-external-data', 'load function files as they are (no memory-mapped external-data rewrite)')
    .option('--lossy <kind>', 'opt-in lossy hand-off on compressed edges: fp16 | int8 (error reported at /v2/models/NAME/stats)')
    .option('--cold', 'do not start one instance per function before serving')
    .option('--max-body-mb <mb>', 'largest request body (413 above); default: per model, from its inputs as JSON with a margin', positiveNumber('--max-body-mb'))
    .option('--timeout <s>', 'per-invocation timeout of every function (504 after; the instance is replaced); default: 10x the plan\'s predicted duration, at least 10 s (60 s without a plan)', positiveNumber('--timeout'))
    .option('--batching <plan>', 'batch requests per application group as planned by mopar plan --apps … -o PLAN (requests name their app in parameters.app or x-mopar-app)')
    .option('--weights <where>', 'where instances read their weights at cold start: local (the files) | s3 (an S3-compatible server on 127.0.0.1, shaped to the platform\'s object-store latency and bandwidth, fetched through the AWS SDK)', 'local')
    .option('--weights-platform <id>', 'platform whose object-store figures shape --weights s3 (default: the first served model\'s platform, else aws-lambda)')
    .option('--weights-mbps <n>', 'override: per-stream bandwidth of --weights s3, MB/s', positiveNumber('--weights-mbps'))
    .option('--weights-latency-ms <n>', 'override: first-byte latency of --weights s3, ms', numberOption('--weights-latency-ms'))
    .option('--drain-timeout <s>', 'on SIGTERM/SIGINT: seconds requests in flight may take to finish before they are cut', positiveNumber('--drain-timeout'), (DEFAULT_GATEWAY.drainMs ?? 30_000) / 1000)
    .option('--trace', 'log one line per inference request with its phase timings (read, parse, admit, dispatch, IPC, shm copy, run, encode, write)');
  examples(cmd, [
    'mopar serve model.parts --port 8080      # then open http://127.0.0.1:8080/ for the live status page',
    'mopar serve model.parts model.onnx --port 0 --max-instances 4',
    'mopar serve fleet.parts      # every model of mopar partition A.onnx B.onnx … -o fleet.parts',
  ]);
  cmd.action(async (dirs: string[], o: {
      port: number; host: string; maxInstances: number; minInstances?: number; maxInflight: number; concurrency?: number; targetUtilisation?: number; scaleOut?: 'eager' | 'patient'; keepWarm: number; queue: number; queueTimeout: number;
      transport?: string; limits: boolean; arena?: boolean; prepacking?: boolean; cold?: boolean; optimization: string; externalData: boolean; lossy?: string;
      maxBodyMb?: number; timeout?: number; drainTimeout: number; batching?: string; keepAlive?: string; warmUp: boolean; trace?: boolean;
      weights: string; weightsPlatform?: string; weightsMbps?: number; weightsLatencyMs?: number;
    }) => {
      const keepAlive = o.keepAlive === undefined ? undefined : parseKeepAlive(o.keepAlive, o.keepWarm * 1000);
      let batching: ReturnType<typeof batchingFromPlan> | undefined;
      if (o.batching) {
        let doc: unknown;
        try {
          doc = JSON.parse(readFileSync(o.batching, 'utf8'));
        } catch (err) {
          throw new MoparError(`cannot read batching plan ${o.batching}: ${errorMessage(err)}`);
        }
        batching = batchingFromPlan(doc, `batching plan ${o.batching}`);
      }
      if (o.lossy && !['fp16', 'int8'].includes(o.lossy)) throw new MoparError(`--lossy must be fp16 or int8, got '${o.lossy}'`);
      if (!['disabled', 'basic', 'extended', 'all'].includes(o.optimization)) throw new MoparError(`--optimization must be disabled, basic, extended or all, got '${o.optimization}'`);
      if (o.transport && !['inline', 'compressed', 'shm'].includes(o.transport)) throw new MoparError(`--transport must be inline, compressed or shm, got '${o.transport}'`);
      if (!['local', 's3'].includes(o.weights)) throw new MoparError(`--weights must be local or s3, got '${o.weights}'`);
      if (o.weightsLatencyMs !== undefined && o.weightsLatencyMs < 0) throw new MoparError(`--weights-latency-ms must be ≥ 0, got ${o.weightsLatencyMs}`);
      let store: LocalS3 | undefined;
      if (o.weights === 's3') {
        const planned = (() => { try { return loadServable(dirs[0]!).manifest.platform; } catch { return undefined; } })();
        const platform = getPlatform(o.weightsPlatform ?? (PLATFORMS.some((p) => p.id === planned) ? planned! : 'aws-lambda'));
        const shaping = { latencyMs: o.weightsLatencyMs ?? platform.objectStore.latencyMs, bandwidthMBps: o.weightsMbps ?? platform.objectStore.bandwidthMBps };
        // The AWS SDK's notice that its 2027 releases need Node 22 says nothing about this run.
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
        store = await startLocalS3(shaping);
        log(`mopar serve: weights from an S3-compatible store at ${store.shaped.endpoint} (${platform.id}: ${shaping.latencyMs} ms first byte, ${shaping.bandwidthMBps} MB/s per stream)`);
      }
      if (o.targetUtilisation !== undefined && !(o.targetUtilisation > 0 && o.targetUtilisation <= 1)) throw new MoparError(`--target-utilisation must be in (0, 1], got ${o.targetUtilisation}`);
      const gw = new Gateway({
        ...DEFAULT_GATEWAY,
        pool: { maxInstances: o.maxInstances, maxInFlight: o.concurrency ?? o.maxInflight, keepWarmMs: keepAlive?.kind === 'fixed' ? keepAlive.ms : o.keepWarm * 1000, queueMax: o.queue, queueTimeoutMs: o.queueTimeout * 1000,
          ...(o.minInstances !== undefined ? { minInstances: o.minInstances } : {}), ...(o.scaleOut ? { scaleOut: o.scaleOut } : {}),
          ...((o.concurrency ?? o.maxInflight) > 1 && (o.targetUtilisation ?? 0) < 1 ? { scaleAtUtilisation: o.targetUtilisation ?? getPlatform('gcp-cloud-run').concurrency!.targetUtilisation } : {}) },
        keepAlive, warmUp: o.warmUp,
        enforceLimits: o.limits, memArena: o.arena !== false, prepacking: !!o.prepacking, prewarm: !o.cold,
        transport: o.transport as Transport | undefined,
        optimization: o.optimization as 'extended', externalData: o.externalData, lossy: o.lossy as 'fp16' | undefined,
        maxBodyBytes: o.maxBodyMb === undefined ? undefined : Math.round(o.maxBodyMb * 2 ** 20),
        invokeTimeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
        drainMs: o.drainTimeout * 1000,
        trace: !!o.trace,
        ...(store ? { weights: { store: store.shaped, stage: store.direct, bucket: store.bucket } } : {}),
      });
      const closeStore = async () => { await store?.close(); };
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) {
          // A second signal: no more waiting for requests in flight.
          log(`mopar serve: ${sig} again: stopping now`);
          void gw.close().then(closeStore).then(() => process.exit(0));
          return;
        }
        stopping = true;
        log(`mopar serve: ${sig}: not accepting new requests; finishing those in flight (at most ${o.drainTimeout} s)`);
        void gw.shutdown().then(async ({ drained, cut }) => {
          await closeStore();
          log(`mopar serve: stopped (${drained} request(s) finished${cut ? `, ${cut} cut at the drain timeout` : ''}); all instances and segments removed`);
          process.exit(0);
        });
      };
      // `on`, not `once`: other handlers (core/cgroup) exit at once when they believe they are the only one.
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      try {
        // A fleet folder (mopar partition A.onnx B.onnx …) serves every model it holds, each under its name.
        const names = dirs.flatMap((d) => (isFleet(d) ? loadFleet(d).models.map((m) => gw.addModel(m.path, m.name)) : [gw.addModel(d)]));
        if (batching) {
          const target = names.find((n) => gw.models.get(n)!.manifest.model === batching!.model);
          if (!target) throw new MoparError(`--batching: the plan is for model '${batching.model}', which is not served here (${names.join(', ')})`);
          gw.enableBatching(target, batching.config);
          log(`mopar serve: ${target}: batching ${batching.config.groups.length} group(s) of ${batching.config.groups.flatMap((g) => g.apps).length} application(s)`);
          // The plan's warm minimum for the batched model's functions, unless --min-instances overrides it.
          const min = o.minInstances === undefined ? warmMinimum(batching.config) : undefined;
          if (min !== undefined) for (const p of gw.models.get(target)!.pools.values()) p.setMinInstances(min);
          if (min) log(`mopar serve: ${target}: ${Math.min(min, o.maxInstances)} instance(s) per function kept warm, as planned (groups[].minInstances${min > o.maxInstances ? `: ${min}, capped at --max-instances` : ''})`);
        }
        if ((o.minInstances ?? 0) > o.maxInstances) log(`mopar serve: note: --min-instances ${o.minInstances} is capped at --max-instances ${o.maxInstances}`);
        const addr = await gw.listen(o.port, o.host);
        const base = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
        for (const n of names) {
          const m = gw.models.get(n)!;
          log(`mopar serve: ${n}: ${m.manifest.functions.length} function(s) → POST ${base}/v2/models/${n}/infer`);
        }
        log(`mopar serve: live status page at ${base}/`);
        // The one line a script waits for (stdout), e.g. to learn the port when --port 0.
        process.stdout.write(`listening ${base}\n`);
      } catch (err) {
        await gw.close();
        await closeStore();
        throw err;
      }
    });
}
