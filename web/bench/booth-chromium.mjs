// Ballot building in a real headless Chromium, and the same code in Node: an "up to 10 of 13"
// ballot (13 options, range [0, 10], 10 chosen) built with web/dist/booth.js, the protocol
// module the booth's page bundle is made from (same source, same esbuild options).
//
//   node web/bench/booth-chromium.mjs [--runs 30] [--warmup 3] [--verifies 10] [--max-seconds 180]
//                                     [--no-node] [--json] [--profile] [--bundle FILE]
//
// No server is needed: the page (an empty HTML document at http://bench.piaojue.invalid/) and its
// two modules (dist/booth.js and bench/bench-core.js) are served by Playwright's request
// interception, so nothing listens on the network. Chromium is PIAOJUE_CHROMIUM or
// /usr/bin/chromium, launched with the flags of tests/common/browser.rs and a fresh profile.
// Rebuild dist/ first (`node scripts/build.mjs`) after changing src/. --bundle FILE times another
// build of the protocol module instead (an ES module with the exports of dist/booth.js, e.g. the
// dist/booth.js of an older commit, for a before/after comparison under the same load).
//
// Each ballot is one step driven from here (the page's event loop runs between ballots, as
// between a deputy's clicks), timed twice: wall clock in the page (performance.now()) and the
// CPU time of the renderer's main thread (DevTools `Performance.getMetrics` ThreadTime around
// the step, so a little above the wall time of the work on a quiet machine, and much less
// disturbed than the wall time when other jobs share the cores). Reported in ms: the election
// set-up (`new Election`: the fixed-base tables for G and K, once per page), the first ballot
// after it and its self-check (cold: code not yet optimised), the median / p90 / min / max of
// --runs ballots after --warmup untimed ones and of --verifies self-checks (`verifyBallot`),
// in the page and then in Node (wall and process CPU); plus the machine (lscpu), the load
// average, Chromium's version. The whole run is bounded by --max-seconds (exit status 2).
//
// --profile: the page gets an unminified bundle of src/booth.js instead (esbuild in memory), and
// after the timed run 20 more builds and then 10 verifications run under Chromium's sampling
// profiler (DevTools protocol, 100 µs); self time is reported per source module (noble's field
// arithmetic, point operations, Keccak, …) and per function. The profiler slows the code down:
// the timed figures come from the run before, without it.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runNode, stats } from './bench-core.js';

const web = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt('runs', 30);
const warmup = opt('warmup', 3);
const verifies = opt('verifies', 10);
const maxSeconds = opt('max-seconds', 180);
const asJson = args.includes('--json');
const withNode = !args.includes('--no-node');
const profile = args.includes('--profile');
const bundleIndex = args.indexOf('--bundle');
const bundleFile = bundleIndex >= 0 ? resolve(args[bundleIndex + 1]) : `${web}dist/booth.js`;

let browser = null;
const deadline = setTimeout(async () => {
  console.error(`booth-chromium: more than ${maxSeconds} s, giving up`);
  await browser?.close().catch(() => {});
  process.exit(2);
}, maxSeconds * 1000);

function machine() {
  let cpu = cpus()[0]?.model ?? '?';
  let hypervisor = '';
  try {
    const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
    cpu = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1] ?? cpu;
    hypervisor = /^Hypervisor vendor:\s*(.+)$/m.exec(lscpu)?.[1] ?? '';
  } catch {
    // lscpu missing: the model from os.cpus() will do.
  }
  return { cpu, cores: cpus().length, hypervisor };
}

/** An unminified bundle of src/booth.js, for readable profiles. */
async function plainBundle() {
  const { build } = await import('esbuild');
  const out = await build({ absWorkingDir: web, entryPoints: ['src/booth.js'], bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' });
  return out.outputFiles[0].text;
}

/** Self time (ms) per function and per source module, from a DevTools CPU profile. */
function summarise(prof, bundle) {
  // esbuild writes a `// path` comment before each module: map bundle lines to modules.
  const starts = [];
  bundle.split('\n').forEach((l, i) => {
    const m = /^\/\/ (\S+\.js)$/.exec(l);
    if (m) starts.push([i, m[1].replace(/^node_modules\//, '')]);
  });
  const moduleOf = (line) => {
    let name = '(page)';
    for (const [i, m] of starts) if (i <= line) name = m;
    return name;
  };
  const self = new Map();
  prof.samples.forEach((id, k) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[k] ?? 0) / 1000));
  const byFn = new Map();
  const byModule = new Map();
  let total = 0;
  for (const node of prof.nodes) {
    const t = self.get(node.id) ?? 0;
    if (!t) continue;
    const f = node.callFrame;
    const inBundle = f.url.endsWith('/booth.js');
    const mod = inBundle ? moduleOf(f.lineNumber) : f.url ? f.url.replace(/^.*\//, '') : `(${f.functionName || 'native'})`;
    const fn = `${f.functionName || '(anonymous)'} [${mod}${inBundle ? `:${f.lineNumber + 1}` : ''}]`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    byModule.set(mod, (byModule.get(mod) ?? 0) + t);
    total += t;
  }
  const top = (m, k) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => ({ name, ms: +ms.toFixed(1), share: +(ms / total).toFixed(3) }));
  return { totalMs: +total.toFixed(1), modules: top(byModule, 15), functions: top(byFn, 30) };
}

const ORIGIN = 'http://bench.piaojue.invalid';
const bundle = profile ? await plainBundle() : readFileSync(bundleFile, 'utf8');
const files = {
  '/': ['text/html; charset=utf-8', '<!doctype html><meta charset="utf-8"><title>piaojue bench</title>'],
  '/booth.js': ['text/javascript; charset=utf-8', bundle],
  '/bench-core.js': ['text/javascript; charset=utf-8', readFileSync(`${web}bench/bench-core.js`)],
};

const load0 = loadavg();
browser = await chromium.launch({
  executablePath: process.env.PIAOJUE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext();
  await context.route(`${ORIGIN}/**`, (route) => {
    const f = files[new URL(route.request().url()).pathname];
    if (!f) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: f[0], body: f[1] });
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${ORIGIN}/`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const threadTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value * 1000;
  /** Runs `f` (a function of the page) once: [its own wall time, the main thread's CPU time]. */
  const step = async (f, arg) => {
    const c0 = await threadTime();
    const wall = await page.evaluate(f, arg);
    return [wall, (await threadTime()) - c0];
  };

  await page.evaluate(async () => {
    window.P = await import('/booth.js');
    window.B = await import('/bench-core.js');
  });
  const [setup, setupCpu] = await step(() => {
    window.S = window.B.session(window.P);
    return window.S.setup;
  });
  const [firstBuild] = await step(() => window.S.build());
  const [firstVerify] = await step(() => window.S.verify());
  for (let i = 0; i < warmup; i++) await page.evaluate(() => window.S.build());
  const series = async (k, f) => {
    const wall = [];
    const cpu = [];
    for (let i = 0; i < k; i++) {
      const [w, c] = await step(f);
      wall.push(w);
      cpu.push(c);
    }
    return { wall: stats(wall), cpu: stats(cpu) };
  };
  const build = await series(runs, () => window.S.build());
  const verify = await series(verifies, () => window.S.verify());
  const bytes = await page.evaluate(() => window.S.bytes());
  const inPage = { setup, setupCpu, firstBuild, firstVerify, build, verify, bytes };
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);

  let profiled = null;
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    profiled = {};
    for (const [what, k] of [
      ['build', 20],
      ['verify', 10],
    ]) {
      await cdp.send('Profiler.start');
      await page.evaluate(
        ([w, k]) => {
          for (let i = 0; i < k; i++) window.S[w](false);
        },
        [what, k],
      );
      profiled[what] = { count: k, ...summarise((await cdp.send('Profiler.stop')).profile, bundle) };
    }
  }
  const ua = await page.evaluate(() => navigator.userAgent);
  const version = browser.version();
  await browser.close();
  browser = null;

  const node = withNode ? runNode(await import(pathToFileURL(bundleFile).href), { runs, warmup, verifies }) : null;
  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    load: { before: load0, after: loadavg() },
    bundle: profile ? 'src/booth.js (unminified)' : bundleFile,
    chromium: version,
    userAgent: ua,
    node: process.version,
    runs,
    warmup,
    chromiumFigures: inPage,
    nodeFigures: node,
    profile: profiled,
  };
  if (asJson) console.log(JSON.stringify(result, null, 2));
  else {
    const ms = (x) => `${x.toFixed(1)} ms`;
    const line = (s) => `median ${ms(s.median)}, p90 ${ms(s.p90)} (min ${ms(s.min)}, max ${ms(s.max)})`;
    const m = result.machine;
    const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
    console.log(`machine: ${m.cpu}, ${m.cores} cores${m.hypervisor ? `, ${m.hypervisor}` : ''}; load average ${load(load0)} → ${load(result.load.after)}`);
    console.log(`"up to 10 of 13" (10 chosen), ${runs} ballots after ${warmup} warm-up, ${inPage.bytes} bytes of JSON each`);
    for (const [name, f, cpuName] of [
      [`Chromium ${version} (headless)`, inPage, 'main-thread CPU'],
      [`Node ${process.version}`, node, 'process CPU'],
    ]) {
      if (!f) continue;
      console.log(`${name}:`);
      console.log(`  election set-up (tables for G and K): ${ms(f.setup)} (${cpuName} ${ms(f.setupCpu)}); first ballot ${ms(f.firstBuild)}, its self-check ${ms(f.firstVerify)}`);
      console.log(`  build a ballot:  wall ${line(f.build.wall)}`);
      console.log(`                   ${cpuName} ${line(f.build.cpu)}`);
      console.log(`  verify a ballot: wall ${line(f.verify.wall)}`);
      console.log(`                   ${cpuName} ${line(f.verify.cpu)}`);
    }
    for (const [what, p] of Object.entries(profiled ?? {})) {
      console.log(`profile of ${p.count} × ${what} (Chromium, unminified bundle, ${p.totalMs} ms sampled; the profiler slows it down):`);
      console.log('  by module:');
      for (const r of p.modules) console.log(`    ${(100 * r.share).toFixed(1).padStart(5)} %  ${r.ms.toFixed(1).padStart(8)} ms  ${r.name}`);
      console.log('  by function:');
      for (const r of p.functions) console.log(`    ${(100 * r.share).toFixed(1).padStart(5)} %  ${r.ms.toFixed(1).padStart(8)} ms  ${r.name}`);
    }
  }
} catch (e) {
  await browser?.close().catch(() => {});
  console.error(e);
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
}
