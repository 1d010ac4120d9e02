// The README's results section is what the committed reports render (issue 27): no measuring, only rendering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkResults, loadResultsData, renderResults, readmeResults, replaceResults } from '../../src/bench/index.js';

const readme = readFileSync('README.md', 'utf8');
const rendered = renderResults(loadResultsData('.'));

test('README results section is exactly what docs/results renders', () => {
  const r = checkResults(readme, rendered);
  assert.ok(r.ok, `README differs from docs/results (run npm run results):\n${r.diff.join('\n')}`);
});

test('a changed number in the README fails the check, naming the line', () => {
  const body = readmeResults(readme)!;
  const changed = replaceResults(readme, body.replace(/\b(\d+) measured cells\b/, (_, n) => `${Number(n) + 1} measured cells`));
  assert.notEqual(changed, readme);
  const r = checkResults(changed, rendered);
  assert.equal(r.ok, false);
  const line = changed.split('\n').findIndex((l) => /\d+ measured cells/.test(l) && !readme.split('\n').includes(l)) + 1;
  assert.match(r.diff[0]!, new RegExp(`README.md line ${line}\\b`));
  assert.ok(r.diff.some((l) => l.startsWith('- ') && l.includes('measured cells')));
});

test('a README without the markers fails the check', () => {
  assert.equal(checkResults('# no results here\n', rendered).ok, false);
});
