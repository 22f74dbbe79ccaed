// The booth's ballot timing, shared by bench/ballot-time.mjs (Node) and
// bench/booth-chromium.mjs (the same module loaded in a headless Chromium page): an
// "up to 10 of 13" election (13 options, range [0, 10]), 10 options chosen.
//
// `run(P, { runs, warmup, verifies })` takes the protocol module (dist/booth.js or src/piaojue.js)
// and returns wall-clock figures in ms: the election set-up (`new Election`, which builds the
// fixed-base tables), the first ballot after it (cold: tables just built, code not yet
// optimised), the `runs` ballots timed after `warmup` untimed ones, and `verifies` self-checks
// (`verifyBallot`, what the booth runs on its own ballot before showing the tracking code).
// Every built ballot is checked to have the shape of §8.3 and one in ten is verified, so a fast
// but wrong build cannot pass unnoticed.

const text = (zh, en) => ({ zh, en });

export const manifest = {
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
      options: Array.from({ length: 13 }, (_, i) => ({
        id: `p${String(i + 1).padStart(2, '0')}`,
        title: text(`项目${i + 1}`, `Project ${i + 1}`),
      })),
    },
  ],
  decision: { kind: 'top_k', seats: 10, majority: 'all_deputies', quorum: { num: 2, den: 3 } },
};

/** Median, p90 (nearest rank), min, max of a list of numbers. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p90 = s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)];
  return { n, median, p90, min: s[0], max: s[n - 1] };
}

function checkShape(ballot) {
  const c = ballot.contests;
  if (c.length !== 1 || c[0].selections.length !== 13 || c[0].proof.commitments.length !== 11)
    throw new Error('bench: the ballot does not have the shape of "up to 10 of 13"');
}

/** The election and a function building one ballot (for profiling), after `warmup` builds. */
export function builder(P, warmup = 3) {
  const election = new P.Election({ manifest, fingerprint: new Uint8Array(32).fill(0x11), jointKey: P.G.multiply(0x1234567n).toBytes() });
  const cred = P.credentialFromSeed('22'.repeat(32));
  const selection = P.selectionFromChosen(manifest, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  for (let i = 0; i < warmup; i++) P.buildBallot(election, cred, selection);
  const ballot = P.buildBallot(election, cred, selection).ballot;
  return { build: () => P.buildBallot(election, cred, selection), verify: () => P.verifyBallot(election, ballot) };
}

export async function run(P, { runs = 30, warmup = 3, verifies = 10, now = () => performance.now(), pause } = {}) {
  // A key nobody knows the secret of matters not here: only the public key is used.
  const jointKey = P.G.multiply(0x1234567n).toBytes();
  const fingerprint = new Uint8Array(32).fill(0x11);
  const cred = P.credentialFromSeed('22'.repeat(32));
  const credentials = [P.toBase64(cred.publicKey)];
  const selection = P.selectionFromChosen(manifest, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);

  let t = now();
  const election = new P.Election({ manifest, fingerprint, jointKey });
  const setup = now() - t;
  t = now();
  const first = P.buildBallot(election, cred, selection);
  const firstBuild = now() - t;
  t = now();
  P.verifyBallot(election, first.ballot, { credentials });
  const firstVerify = now() - t;

  for (let i = 0; i < warmup; i++) P.buildBallot(election, cred, selection);
  const build = [];
  let last;
  for (let i = 0; i < runs; i++) {
    if (pause) await pause();
    t = now();
    last = P.buildBallot(election, cred, selection);
    build.push(now() - t);
    checkShape(last.ballot);
    if (i % 10 === 0 && P.verifyBallot(election, last.ballot, { credentials }) !== last.trackingCode)
      throw new Error('bench: a built ballot does not verify to its tracking code');
  }
  const verify = [];
  for (let i = 0; i < verifies; i++) {
    if (pause) await pause();
    t = now();
    P.verifyBallot(election, last.ballot, { credentials });
    verify.push(now() - t);
  }
  const bytes = JSON.stringify(last.ballot).length;
  return { setup, firstBuild, firstVerify, build: stats(build), verify: stats(verify), bytes };
}
