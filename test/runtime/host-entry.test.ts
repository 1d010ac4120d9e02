/**
 * From the TypeScript sources (tests, bench scripts) a host starts as one esbuild bundle under plain Node, not
 * under the tsx loader (~50 MB and hundreds of ms more per start). Broken silently once: core's chart pipeline
 * dynamically imports resvg, whose native binding esbuild cannot bundle, so every host fell back to tsx and every
 * cold start a bench measured from source was inflated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostEntry } from '../../src/runtime/host-entry.js';

test('host entry from source: a plain-Node bundle, no tsx loader', () => {
  const entry = hostEntry();
  assert.match(entry.script, /\.mjs$/, `host script ${entry.script}`);
  assert.ok(!entry.execArgv.some((a) => a.includes('tsx')), `host starts with ${entry.execArgv.join(' ')}`);
});
