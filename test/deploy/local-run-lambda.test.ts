/**
 * `local-run` of a Lambda deploy folder written by hand (one function, no model): the function URL front's request
 * limit on a chunked body, and each invocation's time limit taken from the template's Timeout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { localRun, type LocalRun } from '../../src/deploy/index.js';
import { readLayout } from '../../src/deploy/local-run/layout.js';
import { FUNCTION_URL_LIMIT_BYTES } from '../../src/deploy/local-run/common.js';
import { cleanup, tmpDir } from './helpers.js';

const HANDLER = `'use strict';
exports.handler = async (event) => {
  if (event.rawPath === '/slow') await new Promise((r) => setTimeout(r, 1500));
  return { statusCode: 200, body: String(Buffer.from(event.body || '', 'base64').length) };
};
`;

function template(entryTimeout: string): string {
  return `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Entry:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/entry
      Handler: handler.handler
      MemorySize: 512
${entryTimeout}
  Pipeline:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/pipeline.asl.json
      DefinitionSubstitutions:
        Entry: !GetAtt Entry.Arn
`;
}

function deployFolder(dir: string, entryTimeout: string): string {
  mkdirSync(join(dir, 'functions', 'entry'), { recursive: true });
  mkdirSync(join(dir, 'statemachine'), { recursive: true });
  writeFileSync(join(dir, '.mopar-deploy'), 'lambda\n');
  writeFileSync(join(dir, 'template.yaml'), template(entryTimeout));
  writeFileSync(join(dir, 'statemachine', 'pipeline.asl.json'), JSON.stringify({
    StartAt: 't', States: { t: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${Entry}', 'Payload.$': '$' }, End: true } },
  }));
  writeFileSync(join(dir, 'functions', 'entry', 'handler.js'), HANDLER);
  writeFileSync(join(dir, 'functions', 'entry', 'package.json'), '{"name":"entry","private":true}\n');
  writeFileSync(join(dir, 'functions', 'entry', 'pipeline.json'), '{"model":"toy"}\n');
  return dir;
}

let d: string;
let run: LocalRun;
before(async () => {
  d = tmpDir('local-run-lambda');
  run = await localRun(deployFolder(join(d, 'out'), '      Timeout: 1'), { limits: false });
});
after(async () => {
  await run?.close();
  cleanup(d);
});

function post(path: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const r = request(`${run.url}${path}`, { method: 'POST', headers: { 'content-length': String(body.length) } }, (x) => {
      let text = '';
      x.on('data', (c: Buffer) => { text += c.toString(); }).on('end', () => res({ status: x.statusCode!, body: text }));
    });
    r.on('error', rej).end(body);
  });
}

test('local-run lambda: the function URL refuses a chunked body with 413 as soon as it exceeds 6 MB, without reading the rest', { timeout: 30_000 }, async () => {
  const chunk = Buffer.alloc(256 * 1024, 1);
  let sent = 0;
  // The body never ends: the answer must come while it is still being sent.
  const outcome = await new Promise<{ status: number; sent: number; closed: boolean }>((res, rej) => {
    const timer = setTimeout(() => { r.destroy(); rej(new Error(`no answer after ${sent} bytes sent`)); }, 10_000);
    const r = request(`${run.url}/`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (x) => {
      x.resume();
      x.on('end', () => { clearTimeout(timer); res({ status: x.statusCode!, sent, closed: x.headers.connection === 'close' }); });
    });
    // Once answered, the connection closes while this side may still be writing.
    r.on('error', () => {});
    const write = () => {
      while (!r.destroyed && sent < 64 * FUNCTION_URL_LIMIT_BYTES) {
        sent += chunk.length;
        if (!r.write(chunk)) { r.once('drain', write); return; }
      }
    };
    write();
  });
  assert.equal(outcome.status, 413);
  assert.ok(outcome.closed, 'the connection is closed, not kept to read the rest');
  // What was sent before the answer: the limit plus what the sockets' buffers hold, far from the whole body.
  assert.ok(outcome.sent < 4 * FUNCTION_URL_LIMIT_BYTES, `${outcome.sent} bytes sent before the 413`);

  // The front still answers within the limit, chunked or not.
  const ok = await post('/', Buffer.alloc(1024));
  assert.deepEqual(ok, { status: 200, body: '1024' });
  // A declared length over the limit is refused before any of the body is read.
  assert.equal((await post('/', Buffer.alloc(FUNCTION_URL_LIMIT_BYTES + 1))).status, 413);
});

test('local-run lambda: an invocation runs under the template\'s Timeout for its function (3 s where none is given)', { timeout: 30_000 }, async () => {
  const slow = await post('/slow', Buffer.alloc(0));
  assert.equal(slow.status, 502, `Timeout: 1 s, the handler takes 1.5 s: ${JSON.stringify(slow)}`);
  assert.match(slow.body, /TimeoutError/);

  // The default (AWS: 3 s) where neither the function nor Globals give one; Globals where the function does not.
  assert.equal(readLayout(deployFolder(join(d, 'default'), '')).functions[0]!.timeoutS, 3);
  const globals = deployFolder(join(d, 'globals'), '');
  writeFileSync(join(globals, 'template.yaml'), template('').replace('Resources:', 'Globals:\n  Function:\n    Timeout: 42\nResources:'));
  assert.equal(readLayout(globals).functions[0]!.timeoutS, 42);
});
