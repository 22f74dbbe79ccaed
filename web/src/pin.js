// What a deputy's booth checks before it encrypts a ballot (spec/protocol.md §6.5–§6.6,
// crypto/src/fingerprint.rs `ShortFingerprint`, crypto/src/pin.rs `verify_served`): that the
// election the server hands it is the election pinned out of band.
//
// The pin is the fingerprint F (43 base64url characters, from the credential sheet's link
// `…/vote#credential=…&fingerprint=F`: a URL fragment, never sent to a server) or its short form
// (20 digits, printed on the sheet and shown on the hall screen):
//
//   short(F) = dec20( u64_be(F[0..8]) )   in five groups of four digits, one space between
//
// The booth (1) verifies the served ceremony transcript and so computes K and X₁ … Xₙ itself;
// (2) refuses a stated output that is not that one; (3) computes F (§6.4) from the manifest, the
// announcements' signing keys, its own output and the credential list; (4) refuses unless F
// matches the pin and its credential is on the list; (5) builds ballots from that F and K only.
import { credentialList, decodeCredentialKey, electionFingerprint, fromBase64, toBase64, validateManifest } from './piaojue.js';
import { verifyCeremony } from './ceremony.js';

/** The number of digits of a short fingerprint. */
export const SHORT_DIGITS = 20;
const MAX_U64 = 0xffffffffffffffffn;

function fingerprintBytes(f) {
  return typeof f === 'string' ? fromBase64(f, 32) : f;
}

/** `short(F)` of a fingerprint (32 bytes or base64url): e.g. `0679 5580 5937 0295 4160`. */
export function shortFingerprint(fingerprint) {
  const f = fingerprintBytes(fingerprint);
  if (!(f instanceof Uint8Array) || f.length !== 32) throw new RangeError('a fingerprint is 32 bytes');
  const v = new DataView(f.buffer, f.byteOffset, 8).getBigUint64(0, false);
  return v.toString().padStart(SHORT_DIGITS, '0').match(/.{4}/g).join(' ');
}

/** Why a text is not a pin. `code`: `short` (not 20 digits below 2⁶⁴), `full` or `form`. */
export class PinFormError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'PinFormError';
    this.code = code;
  }
}

/**
 * Reads a short fingerprint as a person types it: spaces and `-` ignored, exactly 20 digits
 * whose value is below 2⁶⁴ (else `PinFormError`). Returns it written as `shortFingerprint` does.
 */
export function parseShortFingerprint(text) {
  const digits = String(text).replace(/[ -]/g, '');
  if (!/^[0-9]{20}$/.test(digits) || BigInt(digits) > MAX_U64)
    throw new PinFormError('short', `a short fingerprint is ${SHORT_DIGITS} digits (spaces and '-' ignored) below 2^64`);
  return digits.match(/.{4}/g).join(' ');
}

/**
 * A pin, as `Pin::parse`: the full form (43 base64url characters) → `{ full: bytes }`, or the
 * short form (20 digits) → `{ short: '…' }`. Throws `PinFormError`.
 */
export function parsePin(text) {
  const s = String(text ?? '').trim();
  if (s.length === 43 && !s.includes(' ')) {
    try {
      return { full: fromBase64(s, 32) };
    } catch (e) {
      throw new PinFormError('full', `the full fingerprint does not decode: ${e.message}`);
    }
  }
  if (/^[0-9 -]*$/.test(s)) return { short: parseShortFingerprint(s) };
  throw new PinFormError('form', 'a fingerprint is 43 base64url characters (the full form) or 20 digits (the short form)');
}

/** The short form of a pin: what a person compares. */
export function pinShort(pin) {
  return pin.full ? shortFingerprint(pin.full) : pin.short;
}

/** Whether fingerprint `F` is the pinned one (for a short pin: has that short form). */
export function pinMatches(pin, fingerprint) {
  const f = fingerprintBytes(fingerprint);
  if (pin.full) return toBase64(pin.full) === toBase64(f);
  return shortFingerprint(f) === pin.short;
}

/**
 * Why a booth refuses the election it is served (`PinError`). `code`: `manifest`, `ceremony`,
 * `joint-key`, `credentials`, `fingerprint` (then `pinned` and `computed`, short forms),
 * `not-on-list`. `cause` holds the underlying error.
 */
export class PinError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'PinError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/**
 * Steps 1–3: the set-up computed from what was served (`{ manifest, ceremony, credentials }`,
 * `ceremony` the JSON of `GET …/ceremony` with `transcript` and maybe `output`, `credentials` the
 * list of keys), with no pin. → `{ fingerprint, jointKey, verificationKeys, signingKeys,
 * credentials }` (base64url; `credentials` sorted). Throws `PinError`.
 */
export function verifySetup({ manifest, ceremony, credentials }) {
  try {
    validateManifest(manifest);
  } catch (e) {
    throw new PinError('manifest', `the served manifest is not valid: ${e.message}`, { cause: e });
  }
  let out;
  try {
    out = verifyCeremony(manifest, ceremony?.transcript);
  } catch (e) {
    throw new PinError('ceremony', `the served key ceremony does not verify: ${e.message}`, { cause: e });
  }
  const stated = ceremony?.output;
  if (stated !== undefined && stated !== null) {
    const same = stated.joint_key === out.jointKey
      && Array.isArray(stated.verification_keys)
      && stated.verification_keys.length === out.verificationKeys.length
      && stated.verification_keys.every((k, i) => k === out.verificationKeys[i]);
    if (!same) throw new PinError('joint-key', 'the server’s election key is not the one its key ceremony gives');
  }
  let list;
  try {
    list = credentialList(credentials).map(toBase64);
  } catch (e) {
    throw new PinError('credentials', `the served credential list is not valid: ${e.message}`, { cause: e });
  }
  const fingerprint = toBase64(electionFingerprint({
    manifest, tellerKeys: out.signingKeys, jointKey: out.jointKey, verificationKeys: out.verificationKeys, credentials: list,
  }));
  // The board key receipts are checked under (step 6): the manifest's, which F covers.
  const boardKey = toBase64(decodeCredentialKey(manifest.board.key));
  return { fingerprint, ...out, credentials: list, boardKey };
}

/**
 * Steps 1–4: `verifySetup`, then the pin (a `parsePin` result) must match the computed
 * fingerprint and, when given, `credential` (a credential key, base64url or bytes) be on the
 * list. Returns what `verifySetup` returns; build ballots from its `fingerprint` and `jointKey`.
 */
export function verifyServed(served, pin, credential = null) {
  const setup = verifySetup(served);
  if (!pinMatches(pin, setup.fingerprint)) {
    const computed = shortFingerprint(setup.fingerprint);
    throw new PinError('fingerprint', `the served election has fingerprint ${setup.fingerprint} (short ${computed}), not the pinned ${pinShort(pin)}`,
      { pinned: pinShort(pin), computed });
  }
  if (credential !== null) {
    const key = typeof credential === 'string' ? credential : toBase64(credential);
    if (!setup.credentials.includes(key)) throw new PinError('not-on-list', 'this credential is not on the election’s credential list');
  }
  return setup;
}
