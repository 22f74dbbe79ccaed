// Time to build an "up to 10 of 13" ballot in Node: median of 20 (after 2 warm-up builds).
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
const election = new P.Election({ manifest, fingerprint: '11'.repeat(32), jointKey: P.G.multiply(12345n).toBytes() });
const setup = performance.now() - t0;
const cred = P.credentialFromSeed('22'.repeat(32));
const selection = P.selectionFromChosen(manifest, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
for (let i = 0; i < 2; i++) P.buildBallot(election, cred, selection);
const times = [];
for (let i = 0; i < runs; i++) {
  t0 = performance.now();
  P.buildBallot(election, cred, selection);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
t0 = performance.now();
const built = P.buildBallot(election, cred, selection);
P.verifyBallot(election, built.ballot);
const verify = performance.now() - t0 - median;
console.log(
  `up to 10 of 13: election set-up ${setup.toFixed(0)} ms; build median of ${runs} ${median.toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)}); self-check ≈ ${verify.toFixed(0)} ms; node ${process.version}`,
);
