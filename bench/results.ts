/**
 * The README's results section from the committed reports (issue 27: numbers users read come from data).
 * Run: node --import tsx bench/results.ts [--check]
 *   --check: exit 0 when README.md between the results markers is exactly the rendering, else print where it differs, exit 1.
 *   without: rewrite that part of README.md (only between the markers).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkResults, loadResultsData, renderResults, replaceResults } from '../src/bench/index.js';

const root = process.cwd();
const readme = readFileSync(`${root}/README.md`, 'utf8');
const rendered = renderResults(loadResultsData(root));
if (process.argv.includes('--check')) {
  const { ok, diff } = checkResults(readme, rendered);
  if (ok) {
    console.log('README results section matches docs/results');
  } else {
    console.error('README results section differs from what docs/results renders (run `npm run results` to rewrite it):');
    for (const l of diff) console.error(l);
    process.exitCode = 1;
  }
} else {
  const next = replaceResults(readme, rendered);
  if (next !== readme) writeFileSync(`${root}/README.md`, next);
  console.log(next === readme ? 'README results section already matches' : 'README results section rewritten from docs/results');
}
