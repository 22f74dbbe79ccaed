// Merlin transcripts (merlin crate 3.0, "Merlin v1.0") over STROBE-128, on the Keccak-f[1600]
// permutation of @noble/hashes. Byte for byte as spec/protocol.md Appendix A; only the
// operations Merlin uses are implemented (meta-AD, AD, PRF).

import { keccakP } from '@noble/hashes/sha3.js';
import { swap32IfBE } from '@noble/hashes/utils.js';

const R = 166; // STROBE-128 rate: 200 − 128/4 − 2
const FLAG_I = 1;
const FLAG_A = 2;
const FLAG_C = 4;
const FLAG_M = 16;
const FLAG_K = 32;

const utf8 = new TextEncoder();

/** Bytes from a string (UTF-8) or a Uint8Array (as is). */
export function asBytes(x) {
  if (typeof x === 'string') return utf8.encode(x);
  if (x instanceof Uint8Array) return x;
  throw new TypeError('expected a string or a Uint8Array');
}

// The UTF-8 of the short strings transcripts see over and over (labels, proof types, roles),
// encoded once. Only read (absorbed), never handed out, so sharing them is safe.
const encoded = new Map();
function stringBytes(x) {
  if (typeof x !== 'string' || x.length > 64) return asBytes(x);
  let b = encoded.get(x);
  if (b === undefined) {
    b = utf8.encode(x);
    if (encoded.size < 256) encoded.set(x, b);
  }
  return b;
}

function le32(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('length out of range');
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function le64(x) {
  const v = BigInt(x);
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError('u64 out of range');
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

/** STROBE-128 v1.0.2, the subset Merlin uses. */
class Strobe128 {
  constructor(protocolLabel) {
    if (protocolLabel === undefined) return; // for clone()
    this.st = new Uint8Array(200);
    this.st32 = new Uint32Array(this.st.buffer, this.st.byteOffset, 50);
    this.st.set([1, R + 2, 1, 0, 1, 96], 0);
    this.st.set(utf8.encode('STROBEv1.0.2'), 6);
    this.keccak();
    this.pos = 0;
    this.posBegin = 0;
    this.curFlags = 0;
    this.metaAd(asBytes(protocolLabel), false);
  }

  clone() {
    const s = new Strobe128();
    s.st = this.st.slice();
    s.st32 = new Uint32Array(s.st.buffer, s.st.byteOffset, 50);
    s.pos = this.pos;
    s.posBegin = this.posBegin;
    s.curFlags = this.curFlags;
    return s;
  }

  keccak() {
    // The state is 25 little-endian 64-bit lanes; keccakP works on 50 little-endian 32-bit words.
    swap32IfBE(this.st32);
    keccakP(this.st32);
    swap32IfBE(this.st32);
  }

  runF() {
    this.st[this.pos] ^= this.posBegin;
    this.st[this.pos + 1] ^= 0x04;
    this.st[R + 1] ^= 0x80;
    this.keccak();
    this.pos = 0;
    this.posBegin = 0;
  }

  absorb(data) {
    for (let i = 0; i < data.length; i++) {
      this.st[this.pos] ^= data[i];
      this.pos += 1;
      if (this.pos === R) this.runF();
    }
  }

  squeeze(n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.st[this.pos];
      this.st[this.pos] = 0;
      this.pos += 1;
      if (this.pos === R) this.runF();
    }
    return out;
  }

  beginOp(flags, more) {
    if (more) {
      if (flags !== this.curFlags) throw new Error('STROBE: continued operation with other flags');
      return;
    }
    const oldBegin = this.posBegin;
    this.posBegin = this.pos + 1;
    this.curFlags = flags;
    this.absorb([oldBegin, flags]);
    if ((flags & (FLAG_C | FLAG_K)) !== 0 && this.pos !== 0) this.runF();
  }

  metaAd(data, more) {
    this.beginOp(FLAG_M | FLAG_A, more);
    this.absorb(data);
  }

  ad(data, more) {
    this.beginOp(FLAG_A, more);
    this.absorb(data);
  }

  prf(n, more) {
    this.beginOp(FLAG_I | FLAG_A | FLAG_C, more);
    return this.squeeze(n);
  }

  /** Overwrites the state (for secrets held in a transcript copy). */
  wipe() {
    this.st.fill(0);
  }
}

/** The state of a new transcript, per label (`new Transcript(label)`). */
const initial = new Map();

/**
 * A Merlin transcript. Labels and messages are strings (UTF-8) or Uint8Arrays.
 *
 *   const t = new Transcript('piaojue-v1');
 *   t.appendMessage('proof', 'range');
 *   t.appendU64('index0', 0);
 *   const bytes = t.challengeBytes('challenge', 64);
 */
export class Transcript {
  constructor(label) {
    if (label === undefined) return; // for clone()
    // Every transcript of a label starts in the same state: computed once, then copied.
    const key = typeof label === 'string' ? label : null;
    const start = key !== null ? initial.get(key) : undefined;
    if (start !== undefined) {
      this.strobe = start.clone();
      return;
    }
    this.strobe = new Strobe128('Merlin v1.0');
    this.appendMessage('dom-sep', label);
    if (key !== null && key.length <= 64 && initial.size < 16) initial.set(key, this.strobe.clone());
  }

  /** An independent copy of the transcript. */
  clone() {
    const t = new Transcript();
    t.strobe = this.strobe.clone();
    return t;
  }

  appendMessage(label, message) {
    const m = stringBytes(message);
    this.strobe.metaAd(stringBytes(label), false);
    this.strobe.metaAd(le32(m.length), true);
    this.strobe.ad(m, false);
    return this;
  }

  /** Appends an integer (number or bigint in [0, 2^64)) as 8 little-endian bytes. */
  appendU64(label, x) {
    return this.appendMessage(label, le64(x));
  }

  challengeBytes(label, n) {
    this.strobe.metaAd(stringBytes(label), false);
    this.strobe.metaAd(le32(n), true);
    return this.strobe.prf(n, false);
  }

  /** Overwrites the state; the transcript must not be used afterwards. */
  wipe() {
    this.strobe.wipe();
  }
}
