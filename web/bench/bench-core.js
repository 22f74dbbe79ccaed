// The booth's ballot timing, shared by bench/ballot-time.mjs (Node) and
// bench/booth-chromium.mjs (the same module loaded in a headless Chromium page): an
// "up to 10 of 13" election (13 options, range [0, 10]), 10 options chosen.
//
// `session(P)` takes the protocol module (dist/booth.js or src/piaojue.js), sets the election up
// and returns its figures and one-ballot steps; the drivers time each step (wall clock here,
// CPU time around it: the process's in Node, the renderer main thread's in Chromium).

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

/**
 * The bench election, set up with `P`: `setup` is the time of `new Election` (the fixed-base
 * tables for G and K), `build()` builds one ballot and `verify()` verifies the last one built
 * (what the booth runs before showing the tracking code), each returning its wall-clock time in
 * ms. Every ballot is checked to have the shape of §8.3 and every tenth is verified against its
 * tracking code (outside the timed part), so that a fast but wrong build does not pass
 * unnoticed; `build(false)` skips the verification (for profiles of the build alone).
 */
export function session(P, now = () => performance.now()) {
  // Only the public key matters here; nobody needs its secret.
  const jointKey = P.G.multiply(0x1234567n).toBytes();
  const fingerprint = new Uint8Array(32).fill(0x11);
  const cred = P.credentialFromSeed('22'.repeat(32));
  const credentials = [P.toBase64(cred.publicKey)];
  const selection = P.selectionFromChosen(manifest, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  let t = now();
  const election = new P.Election({ manifest, fingerprint, jointKey });
  const setup = now() - t;
  let last = null;
  let count = 0;
  return {
    setup,
    build(check = true) {
      const t0 = now();
      last = P.buildBallot(election, cred, selection);
      const ms = now() - t0;
      const c = last.ballot.contests;
      if (c.length !== 1 || c[0].selections.length !== 13 || c[0].proof.commitments.length !== 11)
        throw new Error('bench: the ballot does not have the shape of "up to 10 of 13"');
      if (check && count++ % 10 === 0 && P.verifyBallot(election, last.ballot, { credentials }) !== last.trackingCode)
        throw new Error('bench: a built ballot does not verify to its tracking code');
      return ms;
    },
    verify() {
      const t0 = now();
      P.verifyBallot(election, last.ballot, { credentials });
      return now() - t0;
    },
    bytes: () => JSON.stringify(last.ballot).length,
  };
}

/**
 * Times a session in this JS engine (Node): the set-up, the first ballot and its check, then
 * `runs` ballots after `warmup` untimed ones and `verifies` checks; wall and process CPU time.
 */
export function runNode(P, { runs = 30, warmup = 3, verifies = 10 } = {}) {
  const cpu = (f) => {
    const c0 = process.cpuUsage();
    const wall = f();
    const c = process.cpuUsage(c0);
    return [wall, (c.user + c.system) / 1000];
  };
  let s;
  const [setup, setupCpu] = cpu(() => (s = session(P)).setup);
  const [firstBuild] = cpu(() => s.build());
  const [firstVerify] = cpu(() => s.verify());
  for (let i = 0; i < warmup; i++) s.build();
  const series = (k, f) => {
    const wall = [];
    const c = [];
    for (let i = 0; i < k; i++) {
      const [w, u] = cpu(f);
      wall.push(w);
      c.push(u);
    }
    return { wall: stats(wall), cpu: stats(c) };
  };
  const build = series(runs, () => s.build());
  const verify = series(verifies, () => s.verify());
  return { setup, setupCpu, firstBuild, firstVerify, build, verify, bytes: s.bytes() };
}
