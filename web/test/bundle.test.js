// web/dist/booth.js, the module the booth pages load: up to date with the sources, and working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as src from '../src/piaojue.js';
import { vector } from '../scripts/vectors.js';

const web = fileURLToPath(new URL('..', import.meta.url));

test('dist/booth.js is what `npm run build` makes from the sources', async () => {
  const pkg = JSON.parse(readFileSync(`${web}package.json`, 'utf8'));
  // The same options as the build script of package.json.
  assert.match(pkg.scripts.build, /^esbuild src\/booth\.js --bundle --format=esm --minify --target=es2022 --legal-comments=eof --outfile=dist\/booth\.js$/);
  const out = await build({
    absWorkingDir: web,
    entryPoints: ['src/booth.js'],
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    legalComments: 'eof',
    write: false,
    outfile: 'dist/booth.js',
    logLevel: 'silent',
  });
  const fresh = out.outputFiles[0].text;
  const committed = readFileSync(`${web}dist/booth.js`, 'utf8');
  assert.ok(fresh === committed, 'web/dist/booth.js is stale: run `npm run build` in web/');
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
