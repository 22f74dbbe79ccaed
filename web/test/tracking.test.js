// The short form of tracking codes (spec/protocol.md §8.4) against
// spec/vectors/short-tracking-code.json (the same file tests/vectors.rs reads): written, read as
// people type it, refused, and the look-up's typed text (full code or short form).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseShortTrackingCode, readTrackingCode, shortTrackingCode, trackingCode, trackingCodeMatches,
} from '../src/booth.js';
import { vector } from '../scripts/vectors.js';

const v = vector('short-tracking-code.json');

test('short tracking code: the vectors, written and read back', () => {
  assert.ok(v.cases.length >= 6);
  for (const c of v.cases) {
    assert.equal(shortTrackingCode(c.tracking_code), c.short);
    assert.equal(parseShortTrackingCode(c.short), c.short);
    assert.deepEqual(readTrackingCode(c.short), { short: c.short });
    assert.deepEqual(readTrackingCode(c.tracking_code), { full: c.tracking_code });
    assert.ok(trackingCodeMatches(readTrackingCode(c.short.toLowerCase()), c.tracking_code));
    assert.ok(trackingCodeMatches(readTrackingCode(c.tracking_code), c.tracking_code));
  }
});

test('short tracking code: the cases after the fifth are the record’s cast ballots', () => {
  const record = vector('election-record.json');
  assert.deepEqual(v.cases.slice(5).map((c) => c.tracking_code), record.ballots.map((b) => trackingCode(b)));
});

test('short tracking code: typed forms (case, I/L/O, hyphens, spaces) and refused ones', () => {
  for (const t of v.typed) assert.equal(parseShortTrackingCode(t.typed), t.short, JSON.stringify(t.typed));
  for (const bad of v.invalid_short_forms) {
    assert.equal(parseShortTrackingCode(bad), null, JSON.stringify(bad));
    assert.equal(readTrackingCode(bad), null, JSON.stringify(bad));
  }
  // A dotless ı upper-cases to I, yet it is not one of the symbols.
  assert.equal(parseShortTrackingCode('ı000-0000-0000-0000'), null);
});

test('short tracking code: another code does not match, only 80 bits are compared', () => {
  const [, , c] = v.cases;
  const bytes = Buffer.from(c.tracking_code, 'base64url');
  const other = (i) => { const b = Buffer.from(bytes); b[i] ^= 1; return b.toString('base64url'); };
  const typed = readTrackingCode(c.short);
  assert.ok(!trackingCodeMatches(typed, other(9)), 'the tenth byte is compared');
  assert.ok(trackingCodeMatches(typed, other(10)), 'the eleventh is not');
  assert.ok(!trackingCodeMatches(readTrackingCode(c.tracking_code), other(10)), 'the full code compares all');
  // A 43-character text that is not canonical base64url is neither form.
  assert.equal(readTrackingCode(`${c.tracking_code.slice(0, 42)}B`), null);
});
