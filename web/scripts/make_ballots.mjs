// Builds ballots with the booth's JS code, for the Rust side to verify. It uses web/dist/booth.js,
// the very module the booth pages load (test/bundle.test.js checks it is up to date).
//
//   node web/scripts/make_ballots.mjs CONTEXT.json
//       CONTEXT = { manifest, fingerprint, joint_key, rng_seed?,
//                   ballots: [{ seed, chosen: [[index or id, …], …], audit?: bool }, …] }
//       prints { "results": [ { "tracking_code", "audited", "json" } | { "error": { code, message, zh } }, … ] }
//       where "json" is the JSON text of the Ballot (or of the AuditedBallot when audited) exactly
//       as JSON.stringify writes it. Randomness is crypto.getRandomValues unless rng_seed is set.
//
//   node web/scripts/make_ballots.mjs --vectors [OUT]
//       writes the test vectors of JS-made ballots (default spec/vectors/js-ballots.json) for the
//       election of spec/vectors/election-record.json, from fixed seeds: the same file every time.
import { readFileSync, writeFileSync } from 'node:fs';
import * as P from '../dist/booth.js';
import { vector, root } from './vectors.js';

function makeBallots(ctx) {
  const election = new P.Election({ manifest: ctx.manifest, fingerprint: ctx.fingerprint, jointKey: ctx.joint_key });
  const rng = ctx.rng_seed !== undefined ? P.deterministicRandom(ctx.rng_seed) : P.systemRandom;
  return ctx.ballots.map((req) => {
    let built;
    try {
      built = P.buildBallot(election, req.seed, P.selectionFromChosen(ctx.manifest, req.chosen), { rng });
    } catch (e) {
      if (!(e instanceof P.SelectionError)) throw e;
      return { error: { code: e.code, message: e.message, zh: e.zh } };
    }
    const obj = req.audit ? built.audit() : built.cast();
    return { tracking_code: built.trackingCode, audited: !!req.audit, json: JSON.stringify(obj) };
  });
}

function makeVectors(out) {
  const e = vector('election-record.json').election;
  // Credentials of the vectors: seeds 31…31, 32…32, 33…33 (test values, public on purpose).
  const seeds = [0x31, 0x32, 0x33].map((b) => P.toHex(new Uint8Array(32).fill(b)));
  const keys = seeds.map((s) => P.toBase64(P.credentialFromSeed(s).publicKey));
  const credentials = P.credentialList(keys).map(P.toBase64);
  const fingerprint = P.toBase64(
    P.electionFingerprint({
      manifest: e.manifest,
      tellerKeys: e.ceremony.announcements.map((a) => a.signing_key),
      jointKey: e.ceremony_output.joint_key,
      verificationKeys: e.ceremony_output.verification_keys,
      credentials,
    }),
  );
  const rngSeed = 'piaojue-v1 js-ballots vectors';
  const election = new P.Election({ manifest: e.manifest, fingerprint, jointKey: e.ceremony_output.joint_key });
  const rng = P.deterministicRandom(rngSeed);
  const requests = [
    { seed: 0, chosen: [[], ['yes']] },
    { seed: 1, chosen: [[0, 3], ['no']] },
    { seed: 2, chosen: [[2], ['abstain']] },
    { seed: 0, chosen: [[1, 2], ['yes']], audit: true },
  ];
  const ballots = [];
  const audited = [];
  for (const r of requests) {
    const selection = P.selectionFromChosen(e.manifest, r.chosen);
    const built = P.buildBallot(election, seeds[r.seed], selection, { rng });
    if (r.audit) audited.push({ selection, tracking_code: built.trackingCode, audited: built.audit() });
    else ballots.push({ selection, tracking_code: built.trackingCode, ballot: built.cast() });
  }
  const file = {
    description:
      'Ballots built by the JS booth code (web/src/piaojue.js) for the election of election-record.json with the credentials below (fingerprint recomputed for them), from a deterministic test source of randomness. `credential_seeds` are the credentials\' 32-byte seeds in hex (protocol §7.1), in the order they were made; `credentials` are their public keys sorted by their bytes, as a credential list is (protocol §7.3), so the two lists are not in the same order: find a seed\'s key by deriving it. Made by `node web/scripts/make_ballots.mjs --vectors`; checked by tests/booth_js.rs.',
    election: 'election-record.json',
    credential_seeds: seeds,
    credentials,
    fingerprint,
    rng_seed: rngSeed,
    ballots,
    audited,
  };
  writeFileSync(out, JSON.stringify(file, null, 2) + '\n');
}

const args = process.argv.slice(2);
if (args[0] === '--vectors') {
  makeVectors(args[1] ?? `${root}spec/vectors/js-ballots.json`);
} else if (args.length === 1) {
  const ctx = JSON.parse(readFileSync(args[0], 'utf8'));
  process.stdout.write(JSON.stringify({ results: makeBallots(ctx) }) + '\n');
} else {
  process.stderr.write('usage: make_ballots.mjs CONTEXT.json | --vectors [OUT]\n');
  process.exit(2);
}
