/** `local-run` of a Lambda deployment: one lambda-local worker per function, a local Step Functions endpoint, S3. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MoparError } from '../../core/index.js';
import type { LocalS3 } from '../../runtime/index.js';
import { execute, TaskFailed } from './asl.js';
import { copyFolder, installDependencies, type InstallMode } from './install.js';
import { LAMBDA_WORKER, LAMBDA_WORKER_FILE } from './lambda-worker.js';
import { STACK_BUCKET, type LocalLayout } from './layout.js';
import { FUNCTION_URL_LIMIT_BYTES, LAMBDA_PROVIDED, readBody, readBodyUpTo, refuseAndClose, sendJson, type Handler, type StartProcess, type Started } from './common.js';

/** Lambda: one process per function (lambda-local), a local Step Functions endpoint, S3 for staged tensors. */
export async function startLambda(layout: LocalLayout, root: string, install: InstallMode, start: StartProcess, exitedError: (s: Started) => Error,
  s3: LocalS3, storeEnv: Record<string, string>, servers: Server[], isStopped: () => boolean, readyTimeoutMs = 60_000): Promise<Handler> {
  const lambdaLocal = createRequire(import.meta.url).resolve('lambda-local');
  const workers = new Map<string, { s: Started; pending: Map<string, { resolve(v: unknown): void; reject(e: Error): void }> }>();
  const invoke = (fnName: string, event: unknown): Promise<unknown> => {
    const w = workers.get(fnName);
    if (!w) return Promise.reject(new TaskFailed('Lambda.ResourceNotFoundException', `no function ${fnName}`));
    const id = randomUUID();
    return new Promise((res, rej) => {
      w.pending.set(id, { resolve: res, reject: rej });
      w.s.child.send({ id, event }, (err) => {
        if (!err) return;
        w.pending.delete(id);
        rej(new TaskFailed('Lambda.Unknown', `function '${fnName}' cannot be reached: ${err.message}`));
      });
    });
  };

  // The Step Functions endpoint the entry's SDK client is pointed at (AWS_ENDPOINT_URL_SFN).
  const sfn = createServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { stateMachineArn?: string; input?: string };
      if (target !== 'AWSStepFunctions.StartSyncExecution') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'UnknownOperationException', message: `${target} is not run locally` }));
        return;
      }
      const startDate = Date.now() / 1000;
      const ex = await execute(layout.machine!, body.input ?? '{}', invoke, layout.substitutions ?? {});
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({
        executionArn: `${body.stateMachineArn}:${randomUUID()}`, stateMachineArn: body.stateMachineArn, startDate, stopDate: Date.now() / 1000, ...ex,
      }));
    })().catch((err: unknown) => sendJson(res, 500, { __type: 'InternalError', message: (err as Error).message }));
  });
  servers.push(sfn);
  await new Promise<void>((r) => sfn.listen(0, '127.0.0.1', () => r()));
  if (isStopped()) { sfn.close(); throw new MoparError('local-run: stopped before every function was ready'); }
  const sfnUrl = `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`;
  const arn = `arn:aws:states:us-east-1:000000000000:stateMachine:${layout.model}-local`;

  const waits: Promise<void>[] = [];
  for (const fn of layout.functions) {
    // The zip as `sam build` makes it: the folder, its dependencies; the runtime provides the AWS SDK.
    const app = join(root, fn.name);
    copyFolder(fn.dir, app);
    installDependencies(app, install, LAMBDA_PROVIDED);
    writeFileSync(join(app, LAMBDA_WORKER_FILE), LAMBDA_WORKER);
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(fn.env).map(([k, v]) => [k, v === STACK_BUCKET ? s3.bucket : v])), ...storeEnv,
      MOPAR_STAGING_BUCKET: s3.bucket, MOPAR_LAMBDA_LOCAL: lambdaLocal,
      AWS_LAMBDA_FUNCTION_NAME: fn.name, ...(fn.memoryMB ? { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMB) } : {}),
      // Each invocation may run as long as the template gives this function (layout.ts: its Timeout, or Lambda's default).
      MOPAR_LAMBDA_TIMEOUT_MS: String(1000 * fn.timeoutS!),
      ...(fn.entry ? { MOPAR_STATE_MACHINE_ARN: arn, AWS_ENDPOINT_URL_SFN: sfnUrl } : {}),
    };
    const t = performance.now();
    const s = start(fn, [LAMBDA_WORKER_FILE], app, env, true);
    const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
    workers.set(fn.name, { s, pending });
    waits.push(new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new MoparError(`local-run: function '${fn.name}' did not finish its init within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
      s.child.on('message', (m: { ready?: boolean; initError?: string; id?: string; result?: unknown; error?: string; message?: string }) => {
        if (m.ready) { s.readyMs = performance.now() - t; clearTimeout(timer); res(); return; }
        if (m.initError) { clearTimeout(timer); rej(new MoparError(`local-run: function '${fn.name}' failed its init: ${m.initError.split('\n')[0]}`)); return; }
        const p = m.id ? pending.get(m.id) : undefined;
        if (!p) return;
        pending.delete(m.id!);
        if (m.error) p.reject(new TaskFailed(m.error, m.message ?? ''));
        else p.resolve(m.result);
      });
      // A send on a closed channel also emits 'error' on the child: without a listener it would end local-run.
      s.child.on('error', () => {});
      s.child.once('exit', () => {
        clearTimeout(timer);
        rej(exitedError(s));
        for (const p of pending.values()) p.reject(new TaskFailed('Lambda.Unknown', `function '${fn.name}' exited (${s.child.exitCode ?? s.child.signalCode})`));
        pending.clear();
        workers.delete(fn.name);
      });
    }));
  }
  await Promise.all(waits);
  const entry = layout.functions.find((f) => f.entry)!;

  return (req, res) => {
    void (async () => {
      // Refused before the body is read (a declared length) or as soon as it exceeds the limit (chunked), with the
      // connection closed: the rest of the body is never read.
      const tooLarge = () => refuseAndClose(req, 413, { message: `Request must be smaller than ${FUNCTION_URL_LIMIT_BYTES} bytes for the InvokeFunction operation` });
      if (Number(req.headers['content-length'] ?? 0) > FUNCTION_URL_LIMIT_BYTES) { tooLarge(); return; }
      const body = await readBodyUpTo(req, FUNCTION_URL_LIMIT_BYTES);
      if (!body) { tooLarge(); return; }
      const [rawPath, rawQueryString = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
      // A function URL event, payload format 2.0, as the Lambda service builds it.
      const event = {
        version: '2.0', routeKey: '$default', rawPath, rawQueryString, headers, body: body.toString('base64'), isBase64Encoded: true,
        requestContext: { http: { method: req.method ?? 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' }, requestId: randomUUID(), timeEpoch: Date.now() },
      };
      let r: { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
      try {
        r = await invoke(entry.name, event) as typeof r;
      } catch (err) {
        sendJson(res, 502, { message: 'Internal Server Error', error: err instanceof TaskFailed ? err.error : 'Error' });
        return;
      }
      if (r === null || typeof r !== 'object' || r.statusCode === undefined) { sendJson(res, 200, r); return; }
      const out = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
      res.writeHead(r.statusCode, { ...r.headers, 'content-length': String(out.length) }).end(out);
    })().catch((err: unknown) => sendJson(res, 500, { error: (err as Error).message }));
  };
}
