/** Issue 17 item 6: `npm run build` never exposes a half-written dist/ to a CLI started meanwhile. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, tmpDir } from './helpers.js';
// @ts-expect-error plain ESM script without types
import { buildInto } from '../../scripts/build.mjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a rebuild is swapped in whole: readers only ever see the old or the new main.js, never a part', async () => {
  const root = tmpDir('build');
  try {
    const OLD = `export const v = 'old';\n${'//'.repeat(200_000)}\n`;
    const NEW = `export const v = 'new';\n${'/*'.repeat(100_000)}${'*/'.repeat(1)}\n`;
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(root, 'dist', 'cli', 'main.js'), OLD);
    writeFileSync(join(root, 'dist', '.complete'), 'x');
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const f = join(root, 'dist', 'cli', 'main.js');
        // What bin/mopar.js checks: the marker, then the file.
        if (existsSync(join(root, 'dist', '.complete'))) {
          try {
            const text = readFileSync(f, 'utf8');
            seen.add(text === OLD ? 'old' : text === NEW ? 'new' : `partial (${text.length} bytes)`);
          } catch (err) {
            seen.add(`missing after the marker: ${(err as Error).message}`);
          }
        }
        await sleep(1);
      }
    })();
    const ok = await buildInto(root, async (out: string) => {
      // A compiler writing its output in pieces, slowly.
      mkdirSync(join(out, 'cli'), { recursive: true });
      writeFileSync(join(out, 'cli', 'main.js'), NEW.slice(0, 1000));
      await sleep(100);
      appendFileSync(join(out, 'cli', 'main.js'), NEW.slice(1000));
      await sleep(50);
    });
    await sleep(20);
    reading = false;
    await reader;
    assert.equal(ok, true);
    assert.equal(readFileSync(join(root, 'dist', 'cli', 'main.js'), 'utf8'), NEW);
    assert.ok(existsSync(join(root, 'dist', '.complete')));
    for (const s of seen) assert.ok(s === 'old' || s === 'new', `a reader saw: ${s}`);
    assert.ok(seen.has('old'));
    assert.deepEqual(readdirSync(root).filter((e) => e.startsWith('.dist-')), []);

    // A failed compile leaves dist/ as it was and no staging folder.
    const failed = await buildInto(root, async (out: string) => {
      mkdirSync(join(out, 'cli'), { recursive: true });
      writeFileSync(join(out, 'cli', 'main.js'), 'half');
      throw new Error('type error');
    });
    assert.equal(failed, false);
    assert.equal(readFileSync(join(root, 'dist', 'cli', 'main.js'), 'utf8'), NEW);
    assert.deepEqual(readdirSync(root).filter((e) => e.startsWith('.dist-')), []);
  } finally {
    cleanup(root);
  }
});
