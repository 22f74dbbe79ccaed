// The short form of a tracking code (protocol §8.4, crypto/src/tracking.rs): what people write
// down, read aloud and compare.
//
//   short(code) = the first 10 bytes of the code as one 80-bit big-endian number, 16 symbols of
//                 5 bits, most significant first, alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ,
//                 in four groups of four joined by '-'
//   reading       ASCII whitespace and '-' ignored anywhere; lower case as upper case; I and L
//                 read as 1, O as 0; exactly 16 symbols remain
//
// A typed text is the full code if, without its whitespace, it is 43 characters of canonical
// base64url; otherwise it is read as a short form. The short form shows that the board holds a
// ballot whose code begins with these 80 bits; only the full code names the ballot exactly.
import { fromBase64 } from './piaojue.js';

/** Crockford's base32 alphabet (no I, L, O, U). */
export const SHORT_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SHORT_BYTES = 10;
const SHORT_CHARS = 16;
const CONFUSABLE = { I: '1', L: '1', O: '0' };
const WHITESPACE = /^[ \t\n\f\r]$/;

/** The short form (`XXXX-XXXX-XXXX-XXXX`) of a full tracking code (43 base64url characters). */
export function shortTrackingCode(code) {
  const bytes = fromBase64(code, 32).subarray(0, SHORT_BYTES);
  let acc = 0n;
  for (const b of bytes) acc = (acc << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < SHORT_CHARS; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += SHORT_ALPHABET[Number((acc >> BigInt(5 * (SHORT_CHARS - 1 - i))) & 31n)];
  }
  return out;
}

/** A short form as typed → written as `shortTrackingCode` writes it, or null if it is not one. */
export function parseShortTrackingCode(text) {
  let symbols = '';
  for (const c of String(text ?? '')) {
    if (c === '-' || WHITESPACE.test(c)) continue;
    const u = c.toUpperCase();
    const s = CONFUSABLE[u] ?? u;
    // Only ASCII letters and digits: toUpperCase of another character is not a symbol.
    if (s.length !== 1 || !SHORT_ALPHABET.includes(s) || !/^[A-Za-z0-9]$/.test(c)) return null;
    symbols += s;
  }
  if (symbols.length !== SHORT_CHARS) return null;
  return symbols.match(/.{4}/g).join('-');
}

/**
 * A tracking code as typed where one is asked for → `{ full }` (43 base64url characters, the
 * code itself), `{ short }` (its short form, written canonically), or null if it is neither.
 */
export function readTrackingCode(text) {
  const compact = String(text ?? '').replace(/[ \t\n\f\r]/g, '');
  if (compact.length === 43) {
    try {
      fromBase64(compact, 32);
      return { full: compact };
    } catch { /* not a full code: perhaps a short form */ }
  }
  const short = parseShortTrackingCode(text);
  return short ? { short } : null;
}

/** Whether the full `code` is the one typed (`readTrackingCode`'s answer) or has its short form. */
export function trackingCodeMatches(typed, code) {
  if (typed.full !== undefined) return typed.full === code;
  try {
    return shortTrackingCode(code) === typed.short;
  } catch {
    return false;
  }
}

/** The text to put in a look-up's address: the full code, or the short form as written. */
export function trackingCodeQuery(typed) {
  return typed.full ?? typed.short;
}
