// The booth's pin (spec/protocol.md §6.5–§6.6): the short fingerprint against
// spec/vectors/short-fingerprint.json, the key ceremony of election-record.json verified in JS
// (its output and fingerprint recomputed), and a served election that lies refused, each with
// the check that catches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CeremonyError, PinError, PinFormError, parsePin, parseShortFingerprint, pinMatches, shortFingerprint,
  verifyCeremony, verifyServed, verifySetup,
} from '../src/booth.js';
import { vector } from '../scripts/vectors.js';

const clone = (x) => structuredClone(x);
const record = vector('election-record.json').election;
const served = () => ({
  manifest: clone(record.manifest),
  ceremony: { transcript: clone(record.ceremony), output: clone(record.ceremony_output) },
  credentials: clone(record.credentials),
});

/** Flips one base64url character of `text` at `i` (to another valid character). */
function flip(text, i = 3) {
  const c = text[i] === 'A' ? 'B' : 'A';
  return text.slice(0, i) + c + text.slice(i + 1);
}

test('short fingerprint: the vectors, both ways, and the refused forms', () => {
  const v = vector('short-fingerprint.json');
  assert.ok(v.cases.length >= 4);
  for (const c of v.cases) {
    assert.equal(shortFingerprint(c.fingerprint), c.short);
    assert.equal(parseShortFingerprint(c.short), c.short);
    assert.equal(parseShortFingerprint(c.short.replaceAll(' ', '-')), c.short);
    assert.equal(parseShortFingerprint(c.short.replaceAll(' ', '')), c.short);
    assert.ok(pinMatches(parsePin(c.short), c.fingerprint));
    assert.ok(pinMatches(parsePin(c.fingerprint), c.fingerprint));
  }
  for (const bad of [...v.invalid_short_forms, '', '1844 6744 0737 0955 16150'])
    assert.throws(() => parseShortFingerprint(bad), (e) => e instanceof PinFormError && e.code === 'short', bad);
  assert.throws(() => parsePin('not a pin'), (e) => e.code === 'form');
  assert.throws(() => parsePin('!'.repeat(43)), (e) => e.code === 'full');
  // The short form carries 64 bits: the rest of F does not change it; the full pin does.
  const f = v.cases[3].fingerprint;
  const g = f.slice(0, 40) + (f[40] === 'A' ? 'B' : 'A') + f.slice(41);
  assert.ok(pinMatches(parsePin(v.cases[3].short), g));
  assert.ok(!pinMatches(parsePin(f), g));
});

test('the ceremony of election-record.json verifies in JS and gives its output and fingerprint', () => {
  const out = verifyCeremony(record.manifest, record.ceremony);
  assert.equal(out.jointKey, record.ceremony_output.joint_key);
  assert.deepEqual(out.verificationKeys, record.ceremony_output.verification_keys);
  assert.deepEqual(out.signingKeys, record.ceremony.announcements.slice().sort((a, b) => a.index - b.index).map((a) => a.signing_key));
  const setup = verifySetup(served());
  assert.equal(setup.fingerprint, record.fingerprint);
  // Receipts are checked under the manifest's board key (§6.6 step 6), which F covers (and the
  // ceremony's transcript, bound to the manifest): another key in the served manifest is refused.
  assert.equal(setup.boardKey, record.manifest.board.key);
  const swapped = served();
  swapped.manifest.board.key = record.credentials[0];
  assert.throws(() => verifySetup(swapped), (e) => e instanceof PinError && e.code === 'ceremony');
  // Pinned in either form; the output the server states is not needed.
  const short = vector('short-fingerprint.json').cases[3].short;
  assert.equal(shortFingerprint(record.fingerprint), short);
  for (const pin of [record.fingerprint, short]) {
    const s = served();
    delete s.ceremony.output;
    const v = verifyServed(s, parsePin(pin), s.credentials[0]);
    assert.equal(v.fingerprint, record.fingerprint);
    assert.equal(v.jointKey, record.ceremony_output.joint_key);
  }
});

function refused(s, code, pin = record.fingerprint, credential = null) {
  assert.throws(() => verifyServed(s, parsePin(pin), credential), (e) => e instanceof PinError && e.code === code, `expected ${code}`);
}

test('a served election that lies is refused, saying what did not match', () => {
  // The server states its own joint key (the transcript is the real one).
  let s = served();
  s.ceremony.output.joint_key = record.ceremony.reveals[0].coefficients[0];
  refused(s, 'joint-key');
  s = served();
  s.ceremony.output.verification_keys.reverse();
  refused(s, 'joint-key');
  // The transcript altered: a coefficient, a signature, a proof, a missing round message, another
  // ceremony id, a complaint.
  s = served();
  s.ceremony.transcript.reveals[1].coefficients[0] = s.ceremony.transcript.reveals[0].coefficients[0];
  refused(s, 'ceremony');
  s = served();
  s.ceremony.transcript.commitments[2].signature = flip(s.ceremony.transcript.commitments[2].signature);
  refused(s, 'ceremony');
  s = served();
  s.ceremony.transcript.announcements[0].proof.response = s.ceremony.transcript.announcements[1].proof.response;
  refused(s, 'ceremony');
  s = served();
  s.ceremony.transcript.checks.pop();
  refused(s, 'ceremony');
  s = served();
  s.ceremony.transcript.announcements[1].ceremony_id = flip(s.ceremony.transcript.announcements[1].ceremony_id);
  refused(s, 'ceremony');
  s = served();
  s.ceremony.transcript.checks[0].complaints.push({});
  assert.throws(() => verifyCeremony(s.manifest, s.ceremony.transcript), (e) => e instanceof CeremonyError && e.teller === 1);
  // No transcript at all: nothing to believe.
  s = served();
  delete s.ceremony.transcript;
  refused(s, 'ceremony');
  // Another credential list, or another manifest: another fingerprint than the pinned one.
  s = served();
  s.credentials.pop();
  refused(s, 'fingerprint');
  s = served();
  s.credentials.pop();
  refused(s, 'fingerprint', shortFingerprint(record.fingerprint));
  s = served();
  s.manifest.title.zh += '（改）';
  refused(s, 'ceremony'); // the ceremony id is the manifest's hash: the transcript is another's
  // A pin of another election on an honest server: refused, with both short forms.
  const other = vector('short-fingerprint.json').cases[2];
  try {
    verifyServed(served(), parsePin(other.short));
    assert.fail('accepted another election');
  } catch (e) {
    assert.equal(e.code, 'fingerprint');
    assert.equal(e.pinned, other.short);
    assert.equal(e.computed, shortFingerprint(record.fingerprint));
  }
  // A credential not on the list.
  refused(served(), 'not-on-list', record.fingerprint, 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik');
  // A malformed manifest.
  s = served();
  s.manifest.tellers.t = 9;
  refused(s, 'manifest');
});
