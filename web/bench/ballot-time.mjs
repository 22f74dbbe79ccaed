// Time to build (and to verify) an "up to 10 of 13" ballot in Node, with src/piaojue.js (no build
// step): bench/bench-core.js, the code bench/booth-chromium.mjs runs in headless Chromium.
// Run: node web/bench/ballot-time.mjs [runs]
import * as P from '../src/piaojue.js';
import { runNode } from './bench-core.js';

const runs = Number(process.argv[2] ?? 20);
const f = runNode(P, { runs, warmup: 2, verifies: runs });
const ms = (x) => `${x.toFixed(1)} ms`;
const line = (s) => `wall median ${ms(s.wall.median)} (p90 ${ms(s.wall.p90)}, min ${ms(s.wall.min)}), CPU median ${ms(s.cpu.median)}`;
console.log(`node ${process.version}, "up to 10 of 13" (10 chosen), ${runs} runs:`);
console.log(`  election set-up (tables for G and K): ${ms(f.setup)}; first ballot ${ms(f.firstBuild)}`);
console.log(`  build a ballot:  ${line(f.build)}`);
console.log(`  verify it (self-check): ${line(f.verify)}`);
