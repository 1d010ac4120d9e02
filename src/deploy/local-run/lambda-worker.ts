/**
 * The process one Lambda function runs in under `local-run`: a CommonJS script written into the function's run
 * folder. Its init phase requires handler.js once (as Lambda's runtime does on a cold start); each invocation
 * then runs that handler under lambda-local (a Lambda event, context and callback) with the module kept loaded,
 * so later invocations are warm. Invocations arrive over IPC: {id, event} → {id, result} | {id, error, message}.
 */
export const LAMBDA_WORKER_FILE = '.mopar-lambda-worker.cjs';

export const LAMBDA_WORKER = `'use strict';
// Written by \`mopar local-run\`: runs handler.js of this folder under lambda-local, one process per function.
const path = require('node:path');
const lambdaLocal = require(process.env.MOPAR_LAMBDA_LOCAL);
const quiet = { log() {}, info() {}, warn() {}, error() {}, debug() {}, transports: [] };
lambdaLocal.setLogger(quiet);
// The function's Timeout from template.yaml (local-run always sets it).
const timeoutMs = Number(process.env.MOPAR_LAMBDA_TIMEOUT_MS);
let mod;
try {
  mod = require(path.join(__dirname, 'handler.js'));
} catch (err) {
  process.send({ initError: String(err && err.stack || err) });
  process.exit(1);
}
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  lambdaLocal.execute({ event: m.event, lambdaFunc: mod, lambdaHandler: 'handler', timeoutMs, verboseLevel: 0, environment: {} })
    .then((result) => process.send({ id: m.id, result }))
    .catch((err) => process.send({ id: m.id, error: (err && (err.errorType || err.name)) || 'Error', message: String((err && (err.errorMessage || err.message)) || err) }));
});
process.send({ ready: true });
`;
