// Time to build (and to verify) an "up to 10 of 13" ballot in Node: medians of 20, after 2
// warm-up builds.
// Run: node web/bench/ballot-time.mjs [runs]
import * as P from '../src/piaojue.js';

const runs = Number(process.argv[2] ?? 20);
const text = (zh, en) => ({ zh, en });
const manifest = {
  version: 1,
  election_id: 'bench-10-of-13',
  title: text('民生实事项目票决', 'Livelihood projects'),
  congress: text('某县第十八届人民代表大会第五次会议', ''),
  tellers: { n: 3, t: 2 },
  contests: [
    {
      id: 'projects',
      title: text('请从13个候选项目中选择不超过10个', 'Choose at most 10 of 13'),
      min: 0,
      max: 10,
      options: Array.from({ length: 13 }, (_, i) => ({ id: `p${String(i + 1).padStart(2, '0')}`, title: text(`项目${i + 1}`, `Project ${i + 1}`) })),
    },
  ],
  decision: { kind: 'top_k', seats: 10, majority: 'all_deputies', quorum: { num: 2, den: 3 } },
};
let t0 = performance.now();
const election = new P.Election({ manifest, fingerprint: new Uint8Array(32).fill(0x11), jointKey: P.G.multiply(12345n).toBytes() });
const setup = performance.now() - t0;
const cred = P.credentialFromSeed('22'.repeat(32));
const selection = P.selectionFromChosen(manifest, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
for (let i = 0; i < 2; i++) P.buildBallot(election, cred, selection);
// Wall-clock time, and the process's CPU time (less disturbed by other jobs on a shared machine).
function measure(f) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    f();
    wall.push(performance.now() - t);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return { wall: median(wall), cpu: median(cpu), min: Math.min(...wall), max: Math.max(...wall) };
}
const build = measure(() => P.buildBallot(election, cred, selection));
const ballot = P.buildBallot(election, cred, selection).ballot;
const verify = measure(() => P.verifyBallot(election, ballot));
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`node ${process.version}, "up to 10 of 13" (10 chosen), medians of ${runs}:`);
console.log(`  election set-up (table for K): ${ms(setup)}`);
console.log(`  build a ballot:  ${ms(build.wall)} wall (min ${ms(build.min)}, max ${ms(build.max)}), ${ms(build.cpu)} CPU`);
console.log(`  verify it (self-check): ${ms(verify.wall)} wall, ${ms(verify.cpu)} CPU`);
