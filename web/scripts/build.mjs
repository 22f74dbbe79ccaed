// Builds web/dist/: one minified ES module per entry point, each self-contained (no chunks).
//   src/booth.js            → dist/booth.js        the protocol API (web/README.md)
//   src/ui/pages/<name>.js  → dist/<name>.js       the script of page static/<name>.html
// `node scripts/build.mjs` writes dist/; test/bundle.test.js builds the same in memory and
// compares, so a stale dist/ fails the tests.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const web = fileURLToPath(new URL('..', import.meta.url));

/** The entry points, in a fixed order. */
export function entryPoints() {
  const pages = readdirSync(`${web}src/ui/pages`)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => ({ in: `src/ui/pages/${f}`, out: f.slice(0, -3) }));
  return [{ in: 'src/booth.js', out: 'booth' }, ...pages];
}

/** The esbuild options: `write: false` gives the files in memory. */
export function options(write) {
  return {
    absWorkingDir: web,
    entryPoints: entryPoints(),
    outdir: 'dist',
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    legalComments: 'eof',
    charset: 'utf8',
    write,
    logLevel: write ? 'info' : 'silent',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build(options(true));
}
