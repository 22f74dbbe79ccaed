// Piaojue (票决) protocol version 1 in JavaScript: what a deputy's device needs to build, check
// and open a ballot, byte-compatible with the Rust implementation (crypto/src).
//
// The authority is spec/protocol.md; section numbers below refer to it. Values:
//   * points are @noble/curves ristretto255 points (or their 32-byte encodings / base64url texts);
//   * scalars are bigints in [0, ℓ);
//   * byte strings are Uint8Arrays; JSON objects carry unpadded base64url (§2.6) exactly as serde
//     emits it.

import { ed25519, ristretto255 } from '@noble/curves/ed25519.js';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { Transcript, asBytes } from './merlin.js';

export { Transcript } from './merlin.js';

const Point = ristretto255.Point;
const Fn = Point.Fn;
/** The group order ℓ = 2^252 + 27742317777372353535851937790883648493. */
export const L = Fn.ORDER;
/** The generator G (RFC 9496). */
export const G = Point.BASE;

/** Protocol version (`Manifest.version`). */
export const PROTOCOL_VERSION = 2;
/** The label of every transcript and the prefix of every domain tag. */
export const PROTOCOL_LABEL = 'piaojue-v1';
export const TAG_MANIFEST = 'piaojue-v1/manifest';
export const TAG_CEREMONY = 'piaojue-v1/ceremony';
export const TAG_ELECTION = 'piaojue-v1/election';
export const TAG_CREDENTIALS = 'piaojue-v1/credentials';
export const TAG_BALLOT = 'piaojue-v1/ballot';
export const TAG_TRACKING_CODE = 'piaojue-v1/tracking-code';
export const ROLE_SELECTION = 'selection';
export const ROLE_CONTEST_SUM = 'contest-sum';
/** Most branches of a range proof (`hi − lo + 1`). */
export const MAX_BRANCHES = 1024;
export const MAX_CONTESTS = 256;
export const MAX_OPTIONS = 256;
export const MAX_TELLERS = 32;
/** Most deputies a congress may have (`MAX_DEPUTIES`, protocol §6.1). */
export const MAX_DEPUTIES = 100_000;
export const APPROVE_OPTIONS = ['yes', 'no', 'abstain'];
export const RATING_OPTIONS = ['satisfied', 'basically_satisfied', 'not_satisfied', 'abstain'];

const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Errors

/** A value from outside that does not decode (§2): bad base64url, length, point or scalar. */
export class DecodeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** A manifest that `Manifest::validate` would refuse (§6.1). */
export class ManifestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ManifestError';
  }
}

/**
 * A selection that cannot be made into a ballot (§8.1). `code` is one of `contest-count`,
 * `option-count`, `not-binary`, `unknown-option`, `too-many`, `too-few`; `contest` the contest
 * index; `message` is English, `zh` Simplified Chinese, both meant to be shown to the deputy.
 */
export class SelectionError extends Error {
  constructor(code, fields, en, zh) {
    super(en);
    this.name = 'SelectionError';
    this.code = code;
    Object.assign(this, fields);
    this.zh = zh;
  }
}

/**
 * A ballot that does not verify (§8.5). `step` is the check of spec/verification.md that failed
 * (`decode`, `V5.1` … `V5.6`, `V6.2`); `contest`, `option` locate a failed proof.
 */
export class BallotError extends Error {
  constructor(step, message, fields = {}) {
    super(message);
    this.name = 'BallotError';
    this.step = step;
    Object.assign(this, fields);
  }
}

// ---------------------------------------------------------------------------------------------
// Encodings (§2)

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** The unpadded base64url text of bytes (RFC 4648 §5; §2.6): how JSON carries byte strings. */
export function toBase64(bytes) {
  let s = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    s += B64[v >> 18] + B64[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63];
  }
  return s;
}

/**
 * Exactly `n` bytes from their unpadded base64url text (§2.6 input): the length must be
 * ⌈4n/3⌉, only `A–Z a–z 0–9 - _`, no padding, and the unused low bits of the last character
 * zero, so that every byte string has exactly one text.
 */
export function fromBase64(text, n) {
  if (typeof text !== 'string') throw new DecodeError('expected a base64url string');
  if (n !== undefined && text.length !== Math.ceil((4 * n) / 3))
    throw new DecodeError(`expected ${Math.ceil((4 * n) / 3)} base64url characters, got ${text.length}`);
  if (text.length % 4 === 1) throw new DecodeError('not a base64url length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of text) {
    const v = B64_INDEX.get(c);
    if (v === undefined) throw new DecodeError('invalid base64url character');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new DecodeError('non-canonical base64url: unused bits are not zero');
  return out;
}

/** Lower-case hex of bytes: credential sign-in codes and byte dumps, not protocol JSON. */
export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/** Bytes of exactly `n` bytes of hex, any case, nothing else: credential sign-in codes. */
export function fromHex(text, n) {
  if (typeof text !== 'string') throw new DecodeError('expected a hex string');
  if (n !== undefined && text.length !== 2 * n)
    throw new DecodeError(`expected ${2 * n} hex digits, got ${text.length}`);
  if (text.length % 2 !== 0) throw new DecodeError('odd number of hex digits');
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new DecodeError('invalid hex digit');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

function bytesOf(x, n, what) {
  if (typeof x === 'string') return fromBase64(x, n);
  if (x instanceof Uint8Array) {
    if (x.length !== n) throw new DecodeError(`${what}: expected ${n} bytes, got ${x.length}`);
    return x;
  }
  throw new DecodeError(`${what}: expected base64url or bytes`);
}

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Two hex digits per byte value, for the conversions below: one BigInt parse or print per
// number instead of a BigInt operation per byte.
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => HEX[i >> 4] + HEX[i & 15]);
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) HEX_VALUE[HEX.charCodeAt(i)] = i;

function leToBig(bytes) {
  if (bytes.length === 0) return 0n;
  let h = '0x';
  for (let i = bytes.length - 1; i >= 0; i--) h += HEX_BYTE[bytes[i]];
  return BigInt(h);
}

/** The 32-byte little-endian encoding of a scalar in [0, ℓ) (§2.3). */
export function scalarToBytes(s) {
  if (typeof s !== 'bigint' || s < 0n || s >= L) throw new RangeError('scalar out of range');
  const h = s.toString(16).padStart(64, '0');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (HEX_VALUE[h.charCodeAt(62 - 2 * i)] << 4) | HEX_VALUE[h.charCodeAt(63 - 2 * i)];
  return out;
}

/** A scalar from 32 bytes or their base64url text; refuses values ≥ ℓ (§2.3). */
export function decodeScalar(x) {
  const v = leToBig(bytesOf(x, 32, 'scalar'));
  if (v >= L) throw new DecodeError('non-canonical scalar');
  return v;
}

/** `LE512(bytes) mod ℓ` (64 bytes, `Scalar::from_bytes_mod_order_wide`). */
export function scalarFromWide(bytes) {
  if (bytes.length !== 64) throw new RangeError('expected 64 bytes');
  return leToBig(bytes) % L;
}

/** The 32-byte encoding of a point (§2.2). */
export function encodePoint(p) {
  return p.toBytes();
}

/** A point from 32 bytes or their base64url text (RFC 9496 DECODE; the identity is allowed) (§2.2). */
export function decodePoint(x) {
  if (x instanceof Point) return x;
  const bytes = bytesOf(x, 32, 'point');
  let p;
  try {
    p = Point.fromBytes(bytes);
  } catch {
    throw new DecodeError('invalid point');
  }
  return p;
}

/** A public key: a point that is not the identity (§2.2). */
export function decodePublicKey(x) {
  const p = decodePoint(x);
  if (p.is0()) throw new DecodeError('a public key may not be the identity');
  return p;
}

/**
 * A credential public key (§7.2): a canonically encoded ed25519 point, not of small order.
 * Returns the 32 bytes.
 */
export function decodeCredentialKey(x) {
  const bytes = bytesOf(x, 32, 'credential');
  let p;
  try {
    p = ed25519.Point.fromBytes(bytes, false);
  } catch {
    throw new DecodeError('invalid credential: not a point');
  }
  if (p.isSmallOrder()) throw new DecodeError('invalid credential: small-order key');
  if (!equalBytes(p.toBytes(), bytes)) throw new DecodeError('invalid credential: non-canonical encoding');
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Randomness

/** The default source: `crypto.getRandomValues`. A source is `(n) => Uint8Array(n)`. */
export function systemRandom(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/**
 * A deterministic byte source from a seed, for tests and test vectors only (a Merlin transcript
 * used as a PRF). Never use it in a booth: a ballot's randomness must be secret.
 */
export function deterministicRandom(seed) {
  const t = new Transcript('piaojue-v1/test-rng');
  t.appendMessage('seed', asBytes(seed));
  return (n) => t.challengeBytes('bytes', n);
}

/** A uniform scalar: 64 random bytes reduced modulo ℓ (as `Scalar::random`). */
export function randomScalar(rng = systemRandom) {
  return scalarFromWide(rng(64));
}

// ---------------------------------------------------------------------------------------------
// Canonical bytes (§3)

/** Builds canonical bytes: big-endian integers, length-prefixed strings and lists. */
export class Writer {
  constructor() {
    this.parts = [];
  }

  /** A writer that starts with the domain tag `tag`, written as a string (§3.2). */
  static tagged(tag) {
    return new Writer().str(tag);
  }

  fixed(bytes) {
    this.parts.push(bytes);
    return this;
  }

  u8(v) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError('u8 out of range');
    return this.fixed(Uint8Array.of(v));
  }

  bool(v) {
    return this.u8(v ? 1 : 0);
  }

  u32(v) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError('u32 out of range');
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, false);
    return this.fixed(b);
  }

  u64(v) {
    const x = BigInt(v);
    if (x < 0n || x > 0xffffffffffffffffn) throw new RangeError('u64 out of range');
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, x, false);
    return this.fixed(b);
  }

  str(s) {
    const b = utf8.encode(s);
    return this.u32(b.length).fixed(b);
  }

  option(v, f) {
    if (v === undefined || v === null) return this.u8(0);
    this.u8(1);
    f(this, v);
    return this;
  }

  list(items, f) {
    this.u32(items.length);
    for (const item of items) f(this, item);
    return this;
  }

  bytes() {
    return concat(...this.parts);
  }

  sha256() {
    return sha256(this.bytes());
  }
}

function writeText(w, t) {
  w.str(t.zh).str(t.en ?? '');
}

function writeDecision(w, d) {
  const base = (m) => w.u8({ all_deputies: 0, voting: 1 }[m]);
  switch (d.kind) {
    case 'counts':
      w.u8(0);
      break;
    case 'top_k':
    case 'approve_each':
      w.u8(d.kind === 'top_k' ? 1 : 2).u32(d.seats);
      base(d.majority);
      w.u32(d.quorum.num).u32(d.quorum.den);
      break;
    case 'rating':
      w.u8(3);
      base(d.majority);
      w.u32(d.quorum.num).u32(d.quorum.den);
      break;
    default:
      throw new ManifestError(`unknown decision rule ${JSON.stringify(d.kind)}`);
  }
}

function writeManifest(w, m) {
  w.u32(m.version).str(m.election_id);
  writeText(w, m.title);
  writeText(w, m.congress);
  w.u32(m.deputies);
  w.u32(m.tellers.n).u32(m.tellers.t);
  w.list(m.contests, (w, c) => {
    w.str(c.id);
    writeText(w, c.title);
    w.u32(c.min).u32(c.max);
    w.list(c.options, (w, o) => {
      w.str(o.id);
      writeText(w, o.title);
      w.option(o.project, (w, p) => {
        writeText(w, p.department);
        w.u64(p.investment_yuan).str(p.completion);
        writeText(w, p.description);
      });
    });
  });
  writeDecision(w, m.decision);
  w.u8({ first_final: 0, last_counts: 1 }[m.revote ?? 'first_final']);
  w.str(m.board.origin).fixed(decodeCredentialKey(m.board.key));
  w.u32(m.witnesses.quorum);
  w.list(m.witnesses.list, (w, x) => w.str(x.name).fixed(decodeCredentialKey(x.key)).str(x.url));
}

/** The canonical bytes of a manifest (§3.3), without a tag. Validates it first. */
export function manifestBytes(manifest) {
  validateManifest(manifest);
  const w = new Writer();
  writeManifest(w, manifest);
  return w.bytes();
}

/** `H("piaojue-v1/manifest", manifest)` (§6.2). */
export function manifestHash(manifest) {
  validateManifest(manifest);
  const w = Writer.tagged(TAG_MANIFEST);
  writeManifest(w, manifest);
  return w.sha256();
}

/** `SHA-256(str("piaojue-v1/ceremony") ‖ manifest_hash)` (§6.3). */
export function ceremonyId(manifestHashBytes) {
  return Writer.tagged(TAG_CEREMONY).fixed(bytesOf(manifestHashBytes, 32, 'manifest hash')).sha256();
}

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The credential list as published: valid keys, sorted ascending, no repeats (§7.3). */
export function credentialList(keys) {
  const list = keys.map(decodeCredentialKey).slice().sort(compareBytes);
  for (let i = 1; i < list.length; i++)
    if (compareBytes(list[i - 1], list[i]) === 0) throw new DecodeError('repeated credential');
  return list;
}

/** `H("piaojue-v1/credentials", list)` of credential keys in any order (§7.3). */
export function credentialsHash(keys) {
  const list = credentialList(keys);
  return Writer.tagged(TAG_CREDENTIALS)
    .list(list, (w, k) => w.fixed(k))
    .sha256();
}

/**
 * The election fingerprint `F` (§6.4) from the manifest, the tellers' ed25519 signing keys and
 * verification keys (in teller order), the joint key and the credential keys.
 */
export function electionFingerprint({ manifest, tellerKeys, jointKey, verificationKeys, credentials }) {
  const n = manifest.tellers.n;
  if (tellerKeys.length !== n || verificationKeys.length !== n)
    throw new ManifestError(`expected ${n} teller keys and ${n} verification keys`);
  return Writer.tagged(TAG_ELECTION)
    .fixed(manifestHash(manifest))
    .u32(manifest.tellers.n)
    .u32(manifest.tellers.t)
    .list(tellerKeys, (w, k) => w.fixed(bytesOf(k, 32, 'teller key')))
    .fixed(decodePublicKey(jointKey).toBytes())
    .list(verificationKeys, (w, k) => w.fixed(decodePublicKey(k).toBytes()))
    .fixed(credentialsHash(credentials))
    .sha256();
}

// ---------------------------------------------------------------------------------------------
// Manifest validation (§6.1, `Manifest::validate`)

function checkFields(obj, what, required, optional = []) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw new ManifestError(`${what}: expected an object`);
  for (const k of Object.keys(obj))
    if (!required.includes(k) && !optional.includes(k)) throw new ManifestError(`${what}: unknown field ${k}`);
  for (const k of required) if (!(k in obj)) throw new ManifestError(`${what}: missing field ${k}`);
}

function checkInt(v, max, what) {
  if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new ManifestError(`${what}: expected an integer in [0, ${max}]`);
}

function checkText(t, what) {
  checkFields(t, what, ['zh'], ['en']);
  if (typeof t.zh !== 'string' || (t.en !== undefined && typeof t.en !== 'string'))
    throw new ManifestError(`${what}: expected strings`);
}

function checkId(id) {
  if (typeof id !== 'string' || !/^[a-z0-9_-]{1,64}$/.test(id))
    throw new ManifestError(`bad identifier ${JSON.stringify(id)}: must be 1–64 characters of a-z, 0-9, '-', '_' and unique`);
}

const U32 = 0xffffffff;

/**
 * Checks a manifest (JSON object) as `Manifest::validate` does: shape, version, identifiers,
 * tellers, contests, ranges and the decision rule. Throws a ManifestError.
 */
export function validateManifest(m, { draft = false } = {}) {
  // A draft is what staff send the server (spec/api.md §3): `board` and `witnesses` may be left
  // out, and the server writes its own.
  const base = ['version', 'election_id', 'title', 'congress', 'deputies', 'tellers', 'contests', 'decision'];
  if (draft) checkFields(m, 'manifest', base, ['revote', 'board', 'witnesses']);
  else checkFields(m, 'manifest', [...base, 'board', 'witnesses'], ['revote']);
  checkInt(m.version, U32, 'version');
  if (m.version !== PROTOCOL_VERSION) throw new ManifestError(`unsupported manifest version ${m.version}`);
  checkId(m.election_id);
  checkText(m.title, 'title');
  checkText(m.congress, 'congress');
  checkInt(m.deputies, U32, 'deputies');
  if (m.deputies === 0 || m.deputies > MAX_DEPUTIES)
    throw new ManifestError(`deputies: need 1 to ${MAX_DEPUTIES}, got ${m.deputies}`);
  checkFields(m.tellers, 'tellers', ['n', 't']);
  checkInt(m.tellers.n, U32, 'tellers.n');
  checkInt(m.tellers.t, U32, 'tellers.t');
  const { n, t } = m.tellers;
  if (t === 0 || t > n || n > MAX_TELLERS)
    throw new ManifestError(`tellers: need 1 ≤ t ≤ n ≤ ${MAX_TELLERS}, got n = ${n}, t = ${t}`);
  if (m.revote !== undefined && m.revote !== 'first_final' && m.revote !== 'last_counts')
    throw new ManifestError(`unknown revote rule ${JSON.stringify(m.revote)}`);
  if (!Array.isArray(m.contests) || m.contests.length === 0 || m.contests.length > MAX_CONTESTS)
    throw new ManifestError(`an election needs 1 to ${MAX_CONTESTS} contests`);
  const ids = new Set();
  for (const c of m.contests) {
    checkFields(c, 'contest', ['id', 'title', 'min', 'max', 'options']);
    checkId(c.id);
    if (ids.has(c.id)) throw new ManifestError(`repeated contest id ${c.id}`);
    ids.add(c.id);
    checkText(c.title, `contest ${c.id}: title`);
    checkInt(c.min, U32, `contest ${c.id}: min`);
    checkInt(c.max, U32, `contest ${c.id}: max`);
    if (!Array.isArray(c.options) || c.options.length === 0 || c.options.length > MAX_OPTIONS)
      throw new ManifestError(`contest ${c.id}: needs 1 to ${MAX_OPTIONS} options`);
    if (c.min > c.max || c.max > c.options.length)
      throw new ManifestError(`contest ${c.id}: range [${c.min}, ${c.max}] impossible with ${c.options.length} options`);
    if (c.max - c.min >= MAX_BRANCHES) throw new ManifestError(`contest ${c.id}: range too wide`);
    const oids = new Set();
    for (const o of c.options) {
      checkFields(o, 'option', ['id', 'title'], ['project']);
      checkId(o.id);
      if (oids.has(o.id)) throw new ManifestError(`repeated option id ${o.id}`);
      oids.add(o.id);
      checkText(o.title, `option ${o.id}: title`);
      if (o.project !== undefined && o.project !== null) {
        const p = o.project;
        checkFields(p, `option ${o.id}: project`, ['department', 'investment_yuan', 'completion', 'description']);
        checkText(p.department, 'project.department');
        checkInt(p.investment_yuan, Number.MAX_SAFE_INTEGER, 'project.investment_yuan');
        if (typeof p.completion !== 'string') throw new ManifestError('project.completion: expected a string');
        checkText(p.description, 'project.description');
      }
    }
  }
  validateDecision(m.decision, m.contests);
  if (m.board !== undefined || !draft) validateBoard(m);
}

/** Most witnesses, longest key name and witness URL (record.md §3.7). */
export const MAX_WITNESSES = 16;
const MAX_KEY_NAME = 255;
const MAX_WITNESS_URL = 256;
// Unicode White_Space, control characters (Cc) and '+': not in a key name (c2sp.org/signed-note).
const NOT_IN_KEY_NAME = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/u;

/** Whether `name` is a key name (record.md §3.7): not empty, at most 255 UTF-8 bytes, no white space, control character or '+'. */
export function isKeyName(name) {
  return typeof name === 'string' && name.length > 0 && utf8.encode(name).length <= MAX_KEY_NAME && !NOT_IN_KEY_NAME.test(name);
}

function validateBoard(m) {
  checkFields(m.board, 'board', ['origin', 'key']);
  const suffix = `/${m.election_id}`;
  if (!isKeyName(m.board.origin) || !m.board.origin.endsWith(suffix) || m.board.origin.length === suffix.length)
    throw new ManifestError(`board: the origin must be a key name ending in "${suffix}"`);
  const boardKey = toBase64(decodeCredentialKey(m.board.key));
  if (m.witnesses === undefined) throw new ManifestError('manifest: missing field witnesses');
  checkFields(m.witnesses, 'witnesses', ['quorum', 'list']);
  const { quorum, list } = m.witnesses;
  checkInt(quorum, U32, 'witnesses.quorum');
  if (!Array.isArray(list) || list.length > MAX_WITNESSES)
    throw new ManifestError(`witnesses: at most ${MAX_WITNESSES}`);
  if (quorum > list.length || (quorum === 0 && list.length > 0))
    throw new ManifestError(`witnesses: the quorum must be 1 to ${list.length} of the ${list.length} witnesses (0 only without witnesses), got ${quorum}`);
  const names = new Set();
  const keys = new Set([boardKey]);
  list.forEach((x, i) => {
    checkFields(x, `witness ${i + 1}`, ['name', 'key', 'url']);
    if (!isKeyName(x.name) || names.has(x.name)) throw new ManifestError(`witness ${i + 1}: the name is not a key name or is repeated`);
    names.add(x.name);
    const key = toBase64(decodeCredentialKey(x.key));
    if (keys.has(key)) throw new ManifestError(`witness ${i + 1}: the key is repeated or is the board's`);
    keys.add(key);
    if (typeof x.url !== 'string' || !/^https?:\/\/[\x21-\x7e]*$/.test(x.url) || x.url.length > MAX_WITNESS_URL)
      throw new ManifestError(`witness ${i + 1}: the URL must be http:// or https://, printable ASCII, at most ${MAX_WITNESS_URL} bytes`);
  });
}

function validateDecision(d, contests) {
  if (d === null || typeof d !== 'object') throw new ManifestError('decision: expected an object');
  const rule = (s) => new ManifestError(`decision rule: ${s}`);
  const hasOptions = (c, want) => c.options.length === want.length && c.options.every((o, i) => o.id === want[i]);
  const checkCommon = () => {
    if (d.majority !== 'all_deputies' && d.majority !== 'voting') throw rule('majority must be all_deputies or voting');
    checkFields(d.quorum, 'decision.quorum', ['num', 'den']);
    checkInt(d.quorum.num, U32, 'quorum.num');
    checkInt(d.quorum.den, U32, 'quorum.den');
    if (d.quorum.den === 0 || d.quorum.num > d.quorum.den)
      throw rule('quorum must be a fraction num/den with 0 ≤ num ≤ den, den > 0');
  };
  switch (d.kind) {
    case 'counts':
      checkFields(d, 'decision', ['kind']);
      return;
    case 'top_k':
      checkFields(d, 'decision', ['kind', 'seats', 'majority', 'quorum']);
      checkInt(d.seats, U32, 'seats');
      if (contests.length !== 1) throw rule('top_k needs exactly one contest');
      if (d.seats === 0 || d.seats > contests[0].options.length)
        throw rule('top_k seats must be between 1 and the number of candidates');
      break;
    case 'approve_each':
      checkFields(d, 'decision', ['kind', 'seats', 'majority', 'quorum']);
      checkInt(d.seats, U32, 'seats');
      if (contests.some((c) => !hasOptions(c, APPROVE_OPTIONS) || c.min !== 1 || c.max !== 1))
        throw rule('approve_each needs contests of 3 options (yes, no, abstain) with range [1, 1]');
      if (d.seats === 0 || d.seats > contests.length)
        throw rule('approve_each seats must be between 1 and the number of projects');
      break;
    case 'rating':
      checkFields(d, 'decision', ['kind', 'majority', 'quorum']);
      if (contests.some((c) => !hasOptions(c, RATING_OPTIONS) || c.min !== 1 || c.max !== 1))
        throw rule('rating needs contests of 4 options (satisfied, basically satisfied, not satisfied, abstain) with range [1, 1]');
      break;
    default:
      throw rule(`unknown kind ${JSON.stringify(d.kind)}`);
  }
  checkCommon();
}

// ---------------------------------------------------------------------------------------------
// Transcripts (§4)

function u64ok(v) {
  const x = BigInt(v);
  if (x < 0n || x > 0xffffffffffffffffn) throw new RangeError('index out of range');
  return x;
}

/**
 * A proof context (§4.1): `{ election, party, role, index: [i0, i1] }` with `election` and
 * `party` 32 bytes (or their base64url text) and `role` a string.
 */
export function proofContext(election, party, role, i0 = 0, i1 = 0) {
  return { election: bytesOf(election, 32, 'election'), party: bytesOf(party, 32, 'party'), role, index: [i0, i1] };
}

/** The transcript after the common prefix of §4.1 for a proof of type `proofType`. */
export function beginProof(proofType, ctx) {
  const t = new Transcript(PROTOCOL_LABEL);
  t.appendMessage('proof', proofType);
  t.appendMessage('election', bytesOf(ctx.election, 32, 'election'));
  t.appendMessage('party', bytesOf(ctx.party, 32, 'party'));
  t.appendMessage('role', ctx.role);
  t.appendU64('index0', u64ok(ctx.index[0]));
  t.appendU64('index1', u64ok(ctx.index[1]));
  return t;
}

/** `c = LE512(T.challenge_bytes(label, 64)) mod ℓ` (§4.3). */
export function challengeScalar(t, label = 'challenge') {
  return scalarFromWide(t.challengeBytes(label, 64));
}

// ---------------------------------------------------------------------------------------------
// Group helpers

const Fp = Point.Fp;
const EDWARDS_D = ed25519.Point.CURVE().d;
// √−1 and 1/√(a − d) (a = −1) modulo p: the constants of RFC 9496 §4.1 (and of
// curve25519-dalek's `SQRT_M1`, `INVSQRT_A_MINUS_D`).
const SQRT_M1 = 0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0n;
const INVSQRT_A_MINUS_D = 0x786c8905cfaffca216c27b91fe01d8409d2f16175a4172be99c8fdaa805d40ean;
/** `1/2 mod ℓ`: `(k·HALF)·P` is the half of `k·P`, whose double `encodeDoubles` encodes. */
const HALF = (L + 1n) / 2n;

// Window of the fixed-base tables (noble's signed fixed-window wNAF): 2^(W−1) multiples per
// window and ⌈253/W⌉ + 1 windows, i.e. 33 point additions per multiplication for W = 8; the
// table has 33·128 = 4,224 points (≈ 20 ms to build in Chromium here, about 1 MB).
const TABLE_WINDOW = 8;

/**
 * The generator with its own fixed-base table. A copy of `G`, not noble's `Point.BASE` object:
 * noble multiplies its base point with a randomised scalar `k + b·ℓ` (a 381-bit scalar, 65
 * additions with the default W = 6 table) as a protection against power analysis, which the
 * Rust prover (curve25519-dalek's `RISTRETTO_BASEPOINT_TABLE`) does not do either; this copy
 * takes noble's constant-time path of any other precomputed point, like the election key.
 */
let baseTable = null;
function baseG() {
  if (baseTable === null) {
    const g = Point.fromBytes(G.toBytes());
    g.precompute(TABLE_WINDOW, false);
    baseTable = g;
  }
  return baseTable;
}

/**
 * Builds the fixed-base table of the generator now rather than at the first ballot (once per
 * page; `new Election` calls it). Returns the time it took, in ms (0 when already built).
 */
export function precomputeBase() {
  if (baseTable !== null) return 0;
  const t = performance.now();
  baseG();
  return performance.now() - t;
}

/** `k·P` for a secret k in [0, ℓ) that may be 0, with the same operations for every k. */
function mulSecret(P, k) {
  // noble's constant-time multiply refuses 0; compute (k+1)·P − P instead, so that k = 0 (the
  // provisional challenge of the real branch, a zero vote) takes the same path as any other k.
  const k1 = k + 1n;
  if (k1 === L) return P.negate(); // k = ℓ − 1, probability 2^-252 for a random k
  return P.multiply(k1).subtract(P);
}

/** `k·P` for a public k (variable time). */
function mulPublic(P, k) {
  return k === 0n ? Point.ZERO : P.multiplyUnsafe(k);
}

/**
 * The encodings of `2·Q` for every point `Q` of `halves`, with one field inversion for all of
 * them instead of an inverse square root each (RFC 9496 ENCODE needs one): curve25519-dalek's
 * `RistrettoPoint::double_and_compress_batch`, formula for formula. The prover computes the
 * halves `Q = (k/2)·P` of the points it publishes (`HALF`). Every point runs the same field
 * operations; the choices (`negcheck1`, `negcheck2`, the sign of `s`) are selections between
 * values computed either way, as dalek's `conditional_assign`. A `Q` whose `e·f·g·h` is 0 (the
 * identity and the other points of the 4-torsion, reached with probability 2^-252 at most) is
 * encoded from `2·Q` by noble's own ENCODE. It reads each point's Edwards representative `ep`
 * (X:Y:Z:T), a plain field of noble's ristretto points though `protected` in its types:
 * @noble/curves is pinned (package.json) and test/range.test.js compares with `toBytes()`.
 */
export function encodeDoubles(halves) {
  const n = halves.length;
  const st = new Array(n);
  const prods = new Array(n);
  for (let i = 0; i < n; i++) {
    const { X, Y, Z, T } = halves[i].ep;
    const XX = Fp.sqr(X);
    const YY = Fp.sqr(Y);
    const ZZ = Fp.sqr(Z);
    const dTT = Fp.mul(Fp.sqr(T), EDWARDS_D);
    const e = Fp.mul(X, Fp.add(Y, Y)); // 2XY
    const f = Fp.add(ZZ, dTT); // Z² + dT²
    const g = Fp.add(YY, XX); // Y² − aX²
    const h = Fp.sub(ZZ, dTT); // Z² − dT²
    const eg = Fp.mul(e, g);
    const fh = Fp.mul(f, h);
    st[i] = { e, f, g, h, eg, fh };
    prods[i] = Fp.mul(eg, fh);
  }
  const invs = Fp.invertBatch(prods); // undefined for a zero product
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const inv = invs[i];
    if (inv === undefined || Fp.is0(prods[i])) {
      out[i] = halves[i].double().toBytes();
      continue;
    }
    const { e, f, g, h, eg, fh } = st[i];
    const zInv = Fp.mul(eg, inv);
    const tInv = Fp.mul(fh, inv);
    const neg1 = Fp.isOdd(Fp.mul(eg, zInv));
    const minusE = Fp.neg(e);
    const fSqrtA = Fp.mul(f, SQRT_M1);
    const e1 = neg1 ? g : e;
    const g1 = neg1 ? minusE : g;
    const h1 = neg1 ? fSqrtA : h;
    const magic = neg1 ? SQRT_M1 : INVSQRT_A_MINUS_D;
    const neg2 = Fp.isOdd(Fp.mul(Fp.mul(h1, e1), zInv));
    const gNeg = Fp.neg(g1);
    const g2 = neg2 ? gNeg : g1;
    const s = Fp.mul(Fp.sub(h1, g2), Fp.mul(magic, Fp.mul(g2, tInv)));
    const sNeg = Fp.neg(s);
    out[i] = Fp.toBytes(Fp.isOdd(s) ? sNeg : s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Exponential ElGamal (§5.1)

/** A ciphertext `(α, β)` with its encodings. */
export class Ciphertext {
  constructor(a, b) {
    this.a = decodePoint(a);
    this.b = decodePoint(b);
    // Decoding accepts only the canonical encoding, which is what ENCODE gives back: decoded
    // bytes are kept as they are rather than encoded again.
    this.aBytes = a instanceof Point ? this.a.toBytes() : bytesOf(a, 32, 'point').slice();
    this.bBytes = b instanceof Point ? this.b.toBytes() : bytesOf(b, 32, 'point').slice();
  }

  /** From points and their encodings, already computed (the encodings are not checked). */
  static encoded(a, b, aBytes, bBytes) {
    const ct = Object.create(Ciphertext.prototype);
    ct.a = a;
    ct.b = b;
    ct.aBytes = aBytes;
    ct.bBytes = bBytes;
    return ct;
  }

  static fromJSON(j) {
    if (j === null || typeof j !== 'object') throw new DecodeError('ciphertext: expected an object');
    return new Ciphertext(fromBase64(j.a, 32), fromBase64(j.b, 32));
  }

  toJSON() {
    return { a: toBase64(this.aBytes), b: toBase64(this.bBytes) };
  }

  equals(o) {
    return equalBytes(this.aBytes, o.aBytes) && equalBytes(this.bBytes, o.bBytes);
  }
}

/** The election key `K` with a precomputed table for fixed-base multiplication. */
export class EncryptionKey {
  constructor(key) {
    // A private copy of the point, so that the cached table is ours.
    this.point = Point.fromBytes(decodePublicKey(key).toBytes());
    this.bytes = this.point.toBytes();
    this.point.precompute(TABLE_WINDOW, false);
  }

  /** `Enc_K(m; r) = (r·G, m·G + r·K)` for an integer m ≥ 0 and a scalar r (r = 0 allowed). */
  encrypt(m, r) {
    const g = baseG();
    return new Ciphertext(mulSecret(g, r), mulSecret(g, Fn.create(BigInt(m))).add(mulSecret(this.point, r)));
  }

  /**
   * `Enc_K(value; randomness)` for every `{ value, randomness }` of `items` (`encrypt_many`):
   * the halves `(r/2)·G` and `(m/2)·G + (r/2)·K`, fixed-base multiplications only, encoded in
   * one batch (`encodeDoubles`).
   */
  encryptMany(items) {
    const g = baseG();
    const halves = [];
    for (const { value, randomness } of items) {
      const rh = Fn.mul(randomness, HALF);
      halves.push(mulSecret(g, rh), mulSecret(g, Fn.mul(Fn.create(BigInt(value)), HALF)).add(mulSecret(this.point, rh)));
    }
    const bytes = encodeDoubles(halves);
    return items.map((_, i) => Ciphertext.encoded(halves[2 * i].double(), halves[2 * i + 1].double(), bytes[2 * i], bytes[2 * i + 1]));
  }
}

// ---------------------------------------------------------------------------------------------
// Disjunctive range proof (§5.5)

function rangeBranches(st) {
  const lo = BigInt(st.lo);
  const hi = BigInt(st.hi);
  if (lo > hi || hi - lo >= BigInt(MAX_BRANCHES) || st.ciphertexts.length === 0)
    throw new RangeError(`bad statement: range [${st.lo}, ${st.hi}] over ${st.ciphertexts.length} ciphertexts`);
  return Number(hi - lo) + 1;
}

function keyBytes(key) {
  return key instanceof EncryptionKey ? key.bytes : decodePublicKey(key).toBytes();
}

function keyPoint(key) {
  return key instanceof EncryptionKey ? key.point : decodePublicKey(key);
}

/**
 * The transcript of a range proof up to its commitments (§5.5): the common prefix, then
 * `"K"`, `"lo"`, `"hi"`, `"count"`, and `"alpha"`, `"beta"` per ciphertext.
 * `st = { key, ciphertexts: [Ciphertext], lo, hi }`.
 */
export function rangeTranscript(ctx, st) {
  const t = beginProof('range', ctx);
  t.appendMessage('K', keyBytes(st.key));
  t.appendU64('lo', u64ok(st.lo));
  t.appendU64('hi', u64ok(st.hi));
  t.appendU64('count', st.ciphertexts.length);
  for (const ct of st.ciphertexts) {
    t.appendMessage('alpha', ct.aBytes);
    t.appendMessage('beta', ct.bBytes);
  }
  return t;
}

function sumCiphertexts(cts) {
  let a = Point.ZERO;
  let b = Point.ZERO;
  for (const ct of cts) {
    a = a.add(ct.a);
    b = b.add(ct.b);
  }
  return [a, b];
}

/**
 * A range proof (§3.3, §8.3): `commitments` `[[A, B], …]` as 32-byte encodings, `challenges` and
 * `responses` as scalars.
 */
export class RangeProof {
  #points = null; // the decoded commitments, when read from JSON

  constructor(commitments, challenges, responses) {
    this.commitments = commitments;
    this.challenges = challenges;
    this.responses = responses;
  }

  static fromJSON(j) {
    if (j === null || typeof j !== 'object') throw new DecodeError('range proof: expected an object');
    const keys = Object.keys(j);
    if (keys.length !== 3 || !['commitments', 'challenges', 'responses'].every((k) => keys.includes(k)))
      throw new DecodeError('range proof: expected exactly commitments, challenges, responses');
    if (![j.commitments, j.challenges, j.responses].every(Array.isArray)) throw new DecodeError('range proof: expected lists');
    const points = [];
    const commitments = j.commitments.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new DecodeError('range proof: a commitment is a pair');
      const bytes = pair.map((h) => bytesOf(h, 32, 'point').slice());
      points.push(bytes.map(decodePoint)); // canonical: ENCODE gives back the same bytes
      return bytes;
    });
    const proof = new RangeProof(commitments, j.challenges.map(decodeScalar), j.responses.map(decodeScalar));
    proof.#points = points;
    return proof;
  }

  /** The points of commitment pair `j` (decoded once, when read from JSON). */
  commitmentPoints(j) {
    return this.#points?.[j] ?? this.commitments[j].map((b) => Point.fromBytes(b));
  }

  toJSON() {
    return {
      commitments: this.commitments.map(([a, b]) => [toBase64(a), toBase64(b)]),
      challenges: this.challenges.map((c) => toBase64(scalarToBytes(c))),
      responses: this.responses.map((s) => toBase64(scalarToBytes(s))),
    };
  }

  /** Canonical bytes (§3.3). */
  write(w) {
    w.list(this.commitments, (w, [a, b]) => w.fixed(a).fixed(b));
    w.list(this.challenges, (w, c) => w.fixed(scalarToBytes(c)));
    w.list(this.responses, (w, s) => w.fixed(scalarToBytes(s)));
    return w;
  }
}

/**
 * Proves that the sum of `st.ciphertexts` encrypts `witness.value ∈ [st.lo, st.hi]`, where
 * `witness.randomness` is the sum of their randomness (§5.5, `RangeProof::prove`).
 *
 * Nonces are hedged (§4.5): drawn from a copy of the transcript after the statement, the witness
 * and 32 bytes from `rng`; so neither a weak `rng` nor a repeated statement alone repeats one.
 */
export function proveRange(ctx, st, witness, rng = systemRandom) {
  const cm = commitRange(ctx, st, witness, rng(32));
  return finishRange(cm, encodeDoubles(cm.halves));
}

/**
 * The first move of `proveRange` (`RangeProof::commit`): the nonce, the simulated branches and
 * every commitment, as halves `Aⱼ/2`, `Bⱼ/2` not yet encoded. `entropy` is the 32 random bytes
 * of the hedge. `buildBallot` commits all the proofs of a ballot, encodes all their halves in
 * one batch and then finishes each (`finishRange`).
 */
function commitRange(ctx, st, witness, entropy) {
  const n = rangeBranches(st);
  const lo = BigInt(st.lo);
  const value = BigInt(witness.value);
  if (value < lo || value > BigInt(st.hi)) throw new RangeError(`value outside [${st.lo}, ${st.hi}]`);
  const real = Number(value - lo);
  const r = witness.randomness;
  const K = keyPoint(st.key);
  const t = rangeTranscript(ctx, st);

  // Hedged nonce w, simulated challenges and responses: a copy of the transcript, with the
  // witness r ‖ u64(m) and fresh randomness appended, used as a PRF.
  const prf = t.clone();
  prf.appendMessage('witness', concat(scalarToBytes(r), new Writer().u64(value).bytes()));
  prf.appendMessage('rng', entropy);
  const draw = () => challengeScalar(prf, 'seed');
  const w = draw();
  const c = [];
  const s = [];
  for (let j = 0; j < n; j++) c.push(draw());
  for (let j = 0; j < n; j++) s.push(draw());
  prf.wipe();
  // The real branch gets (c, s) = (0, w) for now, every branch being visited the same way.
  for (let j = 0; j < n; j++) {
    const here = j === real;
    c[j] = here ? 0n : c[j];
    s[j] = here ? w : s[j];
  }

  // Aⱼ = sⱼ·G − cⱼ·α and Bⱼ = sⱼ·K − cⱼ·(β − vⱼ·G). The prover knows α = r·G and
  // β = m·G + r·K, so with dⱼ = sⱼ − cⱼ·r these are the fixed-base products
  //   Aⱼ = dⱼ·G,   Bⱼ = dⱼ·K + cⱼ·(vⱼ − m)·G,
  // the same points as the verifier's formula, without a variable-base multiplication; three
  // constant-time multiplications per branch, the same for every branch (the real one has
  // cⱼ = 0). Computed as halves, for the batch encoding.
  const g = baseG();
  const m = Fn.create(value);
  const halves = [];
  for (let j = 0; j < n; j++) {
    const d = Fn.mul(Fn.sub(s[j], Fn.mul(c[j], r)), HALF);
    const e = Fn.mul(Fn.mul(c[j], Fn.sub(Fn.create(lo + BigInt(j)), m)), HALF);
    halves.push(mulSecret(g, d), mulSecret(K, d).add(mulSecret(g, e)));
  }
  return { t, n, real, w, r, c, s, halves };
}

/** The second move (`RangeCommitment::finish`): `encoded` are the encodings of `2·halves`. */
function finishRange(cm, encoded) {
  const { t, n, real, w, r, c, s } = cm;
  const commitments = [];
  for (let j = 0; j < n; j++) {
    const pair = [encoded[2 * j], encoded[2 * j + 1]];
    t.appendMessage('A', pair[0]);
    t.appendMessage('B', pair[1]);
    commitments.push(pair);
  }
  const ch = challengeScalar(t);
  let others = 0n;
  for (let j = 0; j < n; j++) others = Fn.add(others, c[j]);
  const cReal = Fn.sub(ch, others);
  const sReal = Fn.add(w, Fn.mul(cReal, r));
  for (let j = 0; j < n; j++) {
    const here = j === real;
    c[j] = here ? cReal : c[j];
    s[j] = here ? sReal : s[j];
  }
  c.pop();
  return new RangeProof(commitments, c, s);
}

function checkRangeShape(proof, n) {
  if (proof.commitments.length !== n || proof.challenges.length + 1 !== n || proof.responses.length !== n)
    throw new RangeError(
      `expected ${n} branches, got ${proof.commitments.length} commitments, ${proof.challenges.length} challenges, ${proof.responses.length} responses`,
    );
}

/**
 * The transcript challenge `c` of a range proof and all `n` branch challenges (the last one
 * implied: `c_{n−1} = c − Σ cⱼ`). Throws a RangeError for a malformed statement or proof.
 */
export function rangeChallenges(ctx, st, proof) {
  const n = rangeBranches(st);
  checkRangeShape(proof, n);
  const t = rangeTranscript(ctx, st);
  for (const [a, b] of proof.commitments) {
    t.appendMessage('A', a);
    t.appendMessage('B', b);
  }
  const c = challengeScalar(t);
  let sum = 0n;
  for (const cj of proof.challenges) sum = Fn.add(sum, cj);
  return { challenge: c, branches: [...proof.challenges, Fn.sub(c, sum)] };
}

/**
 * Verifies a range proof equation by equation (§5.5 step 4): for every branch j,
 * `sⱼ·G = Aⱼ + cⱼ·α` and `sⱼ·K = Bⱼ + cⱼ·(β − vⱼ·G)`. Returns true or false; throws a
 * RangeError for a malformed statement or proof shape.
 */
export function verifyRange(ctx, st, proof) {
  const { branches } = rangeChallenges(ctx, st, proof);
  const K = keyPoint(st.key);
  const [alpha, beta] = sumCiphertexts(st.ciphertexts);
  const lo = BigInt(st.lo);
  for (let j = 0; j < branches.length; j++) {
    const cj = branches[j];
    const sj = proof.responses[j];
    const [A, B] = proof.commitmentPoints(j);
    const shifted = beta.subtract(mulPublic(G, Fn.create(lo + BigInt(j))));
    if (!mulPublic(G, sj).equals(A.add(mulPublic(alpha, cj)))) return false;
    if (!mulPublic(K, sj).equals(B.add(mulPublic(shifted, cj)))) return false;
  }
  return true;
}

/**
 * Random linear combination of many verification equations (§5.6): each equation is a list of
 * (scalar, point) terms summing to O; `check()` tests them all with one multiscalar
 * multiplication, with 128-bit weights from the system's random generator.
 */
export class BatchVerifier {
  constructor(rng = systemRandom) {
    this.rng = rng;
    this.g = 0n;
    this.terms = new Map(); // hex of the point → [point, coefficient]
  }

  weight() {
    return leToBig(this.rng(16));
  }

  add(coefficient, point, bytes) {
    const key = toHex(bytes ?? point.toBytes());
    const e = this.terms.get(key);
    if (e) e[1] = Fn.add(e[1], coefficient);
    else this.terms.set(key, [point, Fn.create(coefficient)]);
  }

  addG(coefficient) {
    this.g = Fn.add(this.g, coefficient);
  }

  /** Queues the 2n equations of a range proof (`RangeProof::queue`). */
  queueRange(ctx, st, proof) {
    const { branches } = rangeChallenges(ctx, st, proof);
    const lo = BigInt(st.lo);
    let k = 0n;
    let alpha = 0n;
    let beta = 0n;
    for (let j = 0; j < branches.length; j++) {
      const cj = branches[j];
      const sj = proof.responses[j];
      const z1 = this.weight();
      const z2 = this.weight();
      const zc2 = Fn.mul(z2, cj);
      this.addG(Fn.add(Fn.mul(z1, sj), Fn.mul(zc2, Fn.create(lo + BigInt(j)))));
      k = Fn.add(k, Fn.mul(z2, sj));
      alpha = Fn.sub(alpha, Fn.mul(z1, cj));
      beta = Fn.sub(beta, zc2);
      const [a, b] = proof.commitments[j];
      const [pa, pb] = proof.commitmentPoints(j);
      this.add(Fn.neg(z1), pa, a);
      this.add(Fn.neg(z2), pb, b);
    }
    this.add(k, keyPoint(st.key), keyBytes(st.key));
    for (const ct of st.ciphertexts) {
      this.add(alpha, ct.a, ct.aBytes);
      this.add(beta, ct.b, ct.bBytes);
    }
  }

  /** True iff every queued equation holds (up to probability 2^-128). */
  check() {
    const points = [G];
    const scalars = [this.g];
    for (const [p, s] of this.terms.values()) {
      if (s === 0n) continue;
      points.push(p);
      scalars.push(s);
    }
    return pippenger(Point, points, scalars).is0();
  }
}

// ---------------------------------------------------------------------------------------------
// Credentials (§7)

/**
 * A credential from its 32-byte secret seed (or its 64 hex digits, the sign-in code printed on
 * the sheet):
 * `{ seed, publicKey }`, the public key being the ed25519 key of RFC 8032.
 */
export function credentialFromSeed(seed) {
  const s = typeof seed === 'string' ? fromHex(seed.trim(), 32) : bytesOf(seed, 32, 'credential seed');
  return { seed: s, publicKey: ed25519.getPublicKey(s) };
}

/**
 * ed25519 verification as §7.4 (`signature.rs`): `S < ℓ`; `R` the canonical encoding of a point
 * not of small order; the cofactored equation `[8]·(S·B − k·A − R) = O` with
 * `k = SHA-512(R ‖ A ‖ M) mod ℓ`. `publicKey` must be a valid credential key (§7.2).
 */
export function verifySignature(signature, message, publicKey) {
  const sig = bytesOf(signature, 64, 'signature');
  const Abytes = decodeCredentialKey(publicKey);
  const Rbytes = sig.subarray(0, 32);
  const S = leToBig(sig.subarray(32));
  if (S >= L) return false;
  let R;
  try {
    R = ed25519.Point.fromBytes(Rbytes, false);
  } catch {
    return false;
  }
  if (R.isSmallOrder()) return false;
  const A = ed25519.Point.fromBytes(Abytes, false);
  const k = leToBig(sha512(concat(Rbytes, Abytes, message))) % L;
  const B = ed25519.Point.BASE;
  const SB = S === 0n ? ed25519.Point.ZERO : B.multiplyUnsafe(S);
  const kA = k === 0n ? ed25519.Point.ZERO : A.multiplyUnsafe(k);
  return SB.subtract(kA).subtract(R).clearCofactor().is0();
}

// ---------------------------------------------------------------------------------------------
// Elections and selections (§8.1)

/**
 * What a device needs to know about an election (`ElectionContext`): the manifest (validated),
 * the fingerprint `F` and the joint election key `K` (precomputed).
 */
export class Election {
  constructor({ manifest, fingerprint, jointKey }) {
    validateManifest(manifest);
    this.manifest = manifest;
    this.fingerprint = bytesOf(fingerprint, 32, 'fingerprint');
    precomputeBase();
    this.key = jointKey instanceof EncryptionKey ? jointKey : new EncryptionKey(jointKey);
  }

  proofContext(credential, role, c, o) {
    return { election: this.fingerprint, party: credential, role, index: [c, o] };
  }
}

function textOf(t) {
  return { zh: t?.zh ?? '', en: t?.en || t?.zh || '' };
}

/**
 * Checks a selection (`[[0|1, …], …]`, per contest per option) against the manifest, as
 * `Selection::validate`. Throws a SelectionError with a message for the deputy.
 */
export function validateSelection(manifest, selection) {
  const contests = manifest.contests;
  if (!Array.isArray(selection) || selection.length !== contests.length)
    throw new SelectionError(
      'contest-count',
      { expected: contests.length, got: Array.isArray(selection) ? selection.length : 0 },
      `the election has ${contests.length} contests, the selection has ${Array.isArray(selection) ? selection.length : 0}`,
      `本次表决有 ${contests.length} 项，所选内容与之不符`,
    );
  contests.forEach((c, ci) => {
    const row = selection[ci];
    const title = textOf(c.title);
    if (!Array.isArray(row) || row.length !== c.options.length)
      throw new SelectionError(
        'option-count',
        { contest: ci, expected: c.options.length, got: Array.isArray(row) ? row.length : 0 },
        `contest ${ci} (${title.en}) has ${c.options.length} options, the selection has ${Array.isArray(row) ? row.length : 0}`,
        `「${title.zh}」有 ${c.options.length} 个选项，所选内容与之不符`,
      );
    row.forEach((v, oi) => {
      if (v !== 0 && v !== 1)
        throw new SelectionError(
          'not-binary',
          { contest: ci, option: oi },
          `contest ${ci}, option ${oi}: a selection is 0 or 1`,
          `「${title.zh}」第 ${oi + 1} 个选项：只能选或不选`,
        );
    });
    const chosen = row.reduce((a, v) => a + v, 0);
    const fields = { contest: ci, contestId: c.id, chosen, min: c.min, max: c.max };
    if (chosen > c.max) {
      const [en, zh] =
        c.min === c.max
          ? [`“${title.en}”: choose exactly ${c.max}; ${chosen} are chosen`, `「${title.zh}」须选 ${c.max} 项，您选了 ${chosen} 项`]
          : [`“${title.en}”: choose at most ${c.max}; ${chosen} are chosen`, `「${title.zh}」最多可选 ${c.max} 项，您选了 ${chosen} 项`];
      throw new SelectionError('too-many', fields, en, zh);
    }
    if (chosen < c.min) {
      const [en, zh] =
        c.min === c.max
          ? [`“${title.en}”: choose exactly ${c.min}; ${chosen} are chosen`, `「${title.zh}」须选 ${c.min} 项，您选了 ${chosen} 项`]
          : [`“${title.en}”: choose at least ${c.min}; ${chosen} are chosen`, `「${title.zh}」至少须选 ${c.min} 项，您选了 ${chosen} 项`];
      throw new SelectionError('too-few', fields, en, zh);
    }
  });
  return selection;
}

/**
 * The selection that chooses, in each contest, the given options: `chosen[c]` is a list of
 * option indices or option ids. Validated (throws a SelectionError).
 */
export function selectionFromChosen(manifest, chosen) {
  const contests = manifest.contests;
  if (!Array.isArray(chosen) || chosen.length !== contests.length)
    throw new SelectionError(
      'contest-count',
      { expected: contests.length, got: Array.isArray(chosen) ? chosen.length : 0 },
      `the election has ${contests.length} contests, the selection has ${Array.isArray(chosen) ? chosen.length : 0}`,
      `本次表决有 ${contests.length} 项，所选内容与之不符`,
    );
  const rows = contests.map((c, ci) => {
    const row = new Array(c.options.length).fill(0);
    for (const pick of chosen[ci]) {
      const oi = typeof pick === 'string' ? c.options.findIndex((o) => o.id === pick) : pick;
      if (!Number.isInteger(oi) || oi < 0 || oi >= row.length)
        throw new SelectionError(
          'unknown-option',
          { contest: ci, option: pick },
          `contest ${ci} has no option ${JSON.stringify(pick)}`,
          `「${textOf(c.title).zh}」没有选项 ${JSON.stringify(pick)}`,
        );
      row[oi] = 1;
    }
    return row;
  });
  return validateSelection(manifest, rows);
}

// ---------------------------------------------------------------------------------------------
// Ballots (§8)

function writeBallotBody(w, b) {
  w.fixed(b.election).fixed(b.credential);
  w.list(b.contests, (w, c) => {
    w.list(c.selections, (w, s) => {
      w.fixed(s.ciphertext.aBytes).fixed(s.ciphertext.bBytes);
      s.proof.write(w);
    });
    c.proof.write(w);
  });
  return w;
}

/** A decoded ballot: `{ election, credential, contests: [{ selections: [{ ciphertext, proof }], proof }], signature }`. */
function decodeBallot(j) {
  const fields = (o, names, what) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new DecodeError(`${what}: expected an object`);
    const keys = Object.keys(o);
    if (keys.length !== names.length || !names.every((k) => keys.includes(k)))
      throw new DecodeError(`${what}: expected exactly the fields ${names.join(', ')}`);
  };
  fields(j, ['election', 'credential', 'contests', 'signature'], 'ballot');
  if (!Array.isArray(j.contests)) throw new DecodeError('ballot.contests: expected a list');
  return {
    election: fromBase64(j.election, 32),
    credential: decodeCredentialKey(j.credential),
    contests: j.contests.map((c) => {
      fields(c, ['selections', 'proof'], 'contest');
      if (!Array.isArray(c.selections)) throw new DecodeError('contest.selections: expected a list');
      return {
        selections: c.selections.map((s) => {
          fields(s, ['ciphertext', 'proof'], 'selection');
          fields(s.ciphertext, ['a', 'b'], 'ciphertext');
          return { ciphertext: Ciphertext.fromJSON(s.ciphertext), proof: RangeProof.fromJSON(s.proof) };
        }),
        proof: RangeProof.fromJSON(c.proof),
      };
    }),
    signature: fromBase64(j.signature, 64),
  };
}

function encodeBallot(b) {
  return {
    election: toBase64(b.election),
    credential: toBase64(b.credential),
    contests: b.contests.map((c) => ({
      selections: c.selections.map((s) => ({ ciphertext: s.ciphertext.toJSON(), proof: s.proof.toJSON() })),
      proof: c.proof.toJSON(),
    })),
    signature: toBase64(b.signature),
  };
}

/** The bytes a credential signs: `str("piaojue-v1/ballot") ‖ body` (§8.4). Takes ballot JSON. */
export function ballotSignedBytes(ballot) {
  return writeBallotBody(Writer.tagged(TAG_BALLOT), decodeBallot(ballot)).bytes();
}

/** The tracking code (§8.4) of a ballot (JSON), as its base64url text (43 characters). */
export function trackingCode(ballot) {
  return toBase64(trackingCodeOf(decodeBallot(ballot)));
}

function trackingCodeOf(b) {
  return writeBallotBody(Writer.tagged(TAG_TRACKING_CODE), b).fixed(b.signature).sha256();
}

/**
 * A ballot just built on the device. `ballot` is the Ballot JSON (§8.3) and `trackingCode` its
 * tracking code (base64url). The opening stays inside until the deputy decides:
 *
 *   * `cast()` returns the ballot JSON to submit (`POST …/ballots`) and erases the opening;
 *   * `audit()` returns the AuditedBallot JSON `{ ballot, opening }` to post as spoiled
 *     (`POST …/audited`); the ballot can then never be cast.
 */
export class BuiltBallot {
  constructor(ballot, trackingCode, opening) {
    this.ballot = ballot;
    this.trackingCode = trackingCode;
    this.#opening = opening;
  }

  #opening;
  #state = 'built';

  /** 'built', 'cast' or 'audited'. */
  get state() {
    return this.#state;
  }

  cast() {
    if (this.#state === 'audited') throw new Error('an audited ballot must never be cast; build a fresh ballot');
    this.#erase();
    this.#state = 'cast';
    return this.ballot;
  }

  audit() {
    if (this.#state === 'cast') throw new Error('a cast ballot cannot be audited');
    if (this.#opening === null) throw new Error('the opening is gone');
    this.#state = 'audited';
    return { ballot: this.ballot, opening: this.#opening };
  }

  #erase() {
    if (!this.#opening) return;
    for (const row of this.#opening.contests)
      for (const o of row) {
        o.value = 0;
        o.randomness = '0'.repeat(64);
      }
    this.#opening = null;
  }
}

/**
 * Builds a ballot exactly as `Ballot::build` (§8.2): per option an encryption and a [0, 1] proof
 * (role "selection", index (c, o)), per contest a sum proof (role "contest-sum", index (c, 0)),
 * signed with the credential.
 *
 * `selection` is `[[0|1, …], …]` (see `selectionFromChosen`); it is validated first and a
 * SelectionError is thrown before any encryption. `credential` is the seed (bytes or hex) or a
 * `credentialFromSeed` result. `options.rng` is the randomness (default `crypto.getRandomValues`).
 * Returns a BuiltBallot.
 */
export function buildBallot(election, credential, selection, { rng = systemRandom } = {}) {
  validateSelection(election.manifest, selection);
  const cred = credential.seed && credential.publicKey ? credential : credentialFromSeed(credential);
  const A = cred.publicKey;
  const key = election.key;
  const mcs = election.manifest.contests;

  // The randomness, drawn in the order of a prover that builds one proof after the other: per
  // option r and its proof's 32 bytes, then the contest's sum proof's 32 bytes.
  const rs = [];
  const hedges = [];
  const sumHedges = [];
  for (const row of selection) {
    const r = [];
    const h = [];
    for (let oi = 0; oi < row.length; oi++) {
      r.push(randomScalar(rng));
      h.push(rng(32));
    }
    rs.push(r);
    hedges.push(h);
    sumHedges.push(rng(32));
  }

  // 1. Every ciphertext, encoded in one batch.
  const flat = key.encryptMany(selection.flatMap((row, ci) => row.map((v, oi) => ({ value: v, randomness: rs[ci][oi] }))));
  let at = 0;
  const cts = selection.map((row) => flat.slice(at, (at += row.length)));

  // 2. Every proof committed: per option a [0, 1] proof, per contest a [min, max] proof.
  const commits = [];
  mcs.forEach((contest, ci) => {
    const row = selection[ci];
    let sumR = 0n;
    row.forEach((v, oi) => {
      const st = { key, ciphertexts: [cts[ci][oi]], lo: 0, hi: 1 };
      commits.push(commitRange(election.proofContext(A, ROLE_SELECTION, ci, oi), st, { value: v, randomness: rs[ci][oi] }, hedges[ci][oi]));
      sumR = Fn.add(sumR, rs[ci][oi]);
    });
    const chosen = row.reduce((a, v) => a + v, 0);
    const st = { key, ciphertexts: cts[ci], lo: contest.min, hi: contest.max };
    commits.push(commitRange(election.proofContext(A, ROLE_CONTEST_SUM, ci, 0), st, { value: chosen, randomness: sumR }, sumHedges[ci]));
  });

  // 3. Every commitment encoded in one batch, then every proof finished.
  const encoded = encodeDoubles(commits.flatMap((cm) => cm.halves));
  at = 0;
  const proofs = commits.map((cm) => finishRange(cm, encoded.slice(at, (at += cm.halves.length))));
  let p = 0;
  const contests = selection.map((row, ci) => ({
    selections: row.map((_, oi) => ({ ciphertext: cts[ci][oi], proof: proofs[p++] })),
    proof: proofs[p++],
  }));
  const opening = selection.map((row, ci) => row.map((v, oi) => ({ value: v, randomness: toBase64(scalarToBytes(rs[ci][oi])) })));
  const b = { election: election.fingerprint, credential: A, contests, signature: null };
  b.signature = ed25519.sign(writeBallotBody(Writer.tagged(TAG_BALLOT), b).bytes(), cred.seed);
  return new BuiltBallot(encodeBallot(b), toBase64(trackingCodeOf(b)), { contests: opening });
}

function selectionStatement(election, ct) {
  return { key: election.key, ciphertexts: [ct], lo: 0, hi: 1 };
}

function sumStatement(election, contest, c) {
  return { key: election.key, ciphertexts: c.selections.map((s) => s.ciphertext), lo: contest.min, hi: contest.max };
}

/**
 * Verifies a ballot (JSON) as `Ballot::verify` (§8.5): decoding, V5.1 election, V5.2 credential
 * on the list (only if `options.credentials`, a list of keys, is given), V5.3 shape, V5.4 strict
 * signature, V5.5–V5.6 every proof (one batch; on failure, the first bad proof is reported).
 * Returns the tracking code (base64url); throws a BallotError.
 */
export function verifyBallot(election, ballot, { credentials } = {}) {
  let b;
  try {
    b = decodeBallot(ballot);
  } catch (e) {
    throw new BallotError('decode', `the ballot does not decode: ${e.message}`);
  }
  if (!equalBytes(b.election, election.fingerprint)) throw new BallotError('V5.1', 'the ballot is for another election');
  if (credentials !== undefined) {
    const text = toBase64(b.credential);
    if (!credentials.some((k) => (typeof k === 'string' ? k : toBase64(k)) === text))
      throw new BallotError('V5.2', "the ballot's credential is not on the credential list");
  }
  const m = election.manifest;
  if (b.contests.length !== m.contests.length)
    throw new BallotError('V5.3', `malformed ballot: ${b.contests.length} contests, the election has ${m.contests.length}`);
  b.contests.forEach((c, ci) => {
    const mc = m.contests[ci];
    if (c.selections.length !== mc.options.length)
      throw new BallotError('V5.3', `malformed ballot: contest ${ci} has ${c.selections.length} selections, the election has ${mc.options.length} options`);
    const shapeOk = (p, n) => p.commitments.length === n && p.challenges.length + 1 === n && p.responses.length === n;
    if (!shapeOk(c.proof, mc.max - mc.min + 1) || !c.selections.every((s) => shapeOk(s.proof, 2)))
      throw new BallotError('V5.3', `malformed ballot: contest ${ci}: proofs have the wrong number of branches`);
  });
  const signed = writeBallotBody(Writer.tagged(TAG_BALLOT), b).bytes();
  if (!verifySignature(b.signature, signed, b.credential)) throw new BallotError('V5.4', "the credential's signature on the ballot does not verify");
  const batch = new BatchVerifier();
  b.contests.forEach((c, ci) => {
    c.selections.forEach((s, oi) => {
      batch.queueRange(election.proofContext(b.credential, ROLE_SELECTION, ci, oi), selectionStatement(election, s.ciphertext), s.proof);
    });
    batch.queueRange(election.proofContext(b.credential, ROLE_CONTEST_SUM, ci, 0), sumStatement(election, m.contests[ci], c), c.proof);
  });
  if (!batch.check()) {
    for (let ci = 0; ci < b.contests.length; ci++) {
      const c = b.contests[ci];
      for (let oi = 0; oi < c.selections.length; oi++) {
        const s = c.selections[oi];
        if (!verifyRange(election.proofContext(b.credential, ROLE_SELECTION, ci, oi), selectionStatement(election, s.ciphertext), s.proof))
          throw new BallotError('V5.5', `contest ${ci}, option ${oi}: the range proof does not verify`, { contest: ci, option: oi });
      }
      if (!verifyRange(election.proofContext(b.credential, ROLE_CONTEST_SUM, ci, 0), sumStatement(election, m.contests[ci], c), c.proof))
        throw new BallotError('V5.6', `contest ${ci}, selection count: the range proof does not verify`, { contest: ci, option: null });
    }
    throw new BallotError('V5.5', 'the batch of proofs fails');
  }
  return toBase64(trackingCodeOf(b));
}

/**
 * Checks an audited ballot's opening (JSON `{ ballot, opening }`) as
 * `AuditedBallot::check_opening` (§8.6, V6.2): shape, every value 0 or 1, every ciphertext
 * re-encrypted from (value, randomness), the revealed selection valid. Returns the selection
 * `[[0|1, …], …]`; throws a BallotError (or a SelectionError for an invalid selection).
 */
export function checkOpening(election, audited) {
  let b;
  try {
    b = decodeBallot(audited.ballot);
  } catch (e) {
    throw new BallotError('decode', `the ballot does not decode: ${e.message}`);
  }
  const o = audited.opening;
  if (!o || !Array.isArray(o.contests) || o.contests.length !== b.contests.length)
    throw new BallotError('V6.2', 'the opening does not match the ballot: wrong number of contests');
  const rows = o.contests.map((oc, ci) => {
    const bc = b.contests[ci];
    if (!Array.isArray(oc) || oc.length !== bc.selections.length)
      throw new BallotError('V6.2', `the opening does not match the ballot: contest ${ci}: wrong number of options`);
    return oc.map((os, oi) => {
      const bad = () =>
        new BallotError('V6.2', `the opening does not match the ballot: contest ${ci}, option ${oi}: the ciphertext does not encrypt the revealed value`, {
          contest: ci,
          option: oi,
        });
      if (os.value !== 0 && os.value !== 1)
        throw new BallotError('V6.2', `the opening does not match the ballot: contest ${ci}, option ${oi}: the revealed value ${JSON.stringify(os.value)} is not 0 or 1`, {
          contest: ci,
          option: oi,
        });
      let r;
      try {
        r = decodeScalar(os.randomness);
      } catch {
        throw bad();
      }
      if (!election.key.encrypt(os.value, r).equals(bc.selections[oi].ciphertext)) throw bad();
      return os.value;
    });
  });
  return validateSelection(election.manifest, rows);
}
