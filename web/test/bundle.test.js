// web/dist/, the modules the pages load: up to date with the sources, and working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { build } from 'esbuild';
import * as src from '../src/booth.js';
import { vector } from '../scripts/vectors.js';
import { options, web } from '../scripts/build.mjs';

test('dist/ is what `npm run build` makes from the sources, file for file', async () => {
  const pkg = JSON.parse(readFileSync(`${web}package.json`, 'utf8'));
  assert.equal(pkg.scripts.build, 'node scripts/build.mjs');
  const out = await build(options(false));
  const fresh = new Map(out.outputFiles.map((f) => [f.path.slice(f.path.lastIndexOf('/') + 1), f.text]));
  const committed = readdirSync(`${web}dist`).filter((f) => f.endsWith('.js')).sort();
  assert.deepEqual(committed, [...fresh.keys()].sort(), 'web/dist/ has other files than the build makes: run `npm run build` in web/');
  for (const [name, text] of fresh) {
    assert.ok(text === readFileSync(`${web}dist/${name}`, 'utf8'), `web/dist/${name} is stale: run \`npm run build\` in web/`);
  }
});

test('the bundle exports the whole API and its ballots verify', async () => {
  const booth = await import('../dist/booth.js');
  assert.deepEqual(Object.keys(booth).sort(), Object.keys(src).sort());
  const e = vector('election-record.json').election;
  const election = new booth.Election({ manifest: e.manifest, fingerprint: e.fingerprint, jointKey: e.ceremony_output.joint_key });
  const built = booth.buildBallot(election, '5a'.repeat(32), booth.selectionFromChosen(e.manifest, [[1, 3], ['yes']]));
  // Checked by the source's own verifier.
  const srcElection = new src.Election({ manifest: e.manifest, fingerprint: e.fingerprint, jointKey: e.ceremony_output.joint_key });
  assert.equal(src.verifyBallot(srcElection, built.ballot), built.trackingCode);
  assert.throws(() => booth.selectionFromChosen(e.manifest, [[0, 1, 2], ['yes']]), (err) => err.code === 'too-many');
});
