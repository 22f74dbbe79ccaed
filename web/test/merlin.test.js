// Merlin over STROBE-128 on @noble/hashes' Keccak-f[1600] (spec/protocol.md §4.2, Appendix A).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transcript } from '../src/merlin.js';

const hex = (b) => Buffer.from(b).toString('hex');

test('published Merlin vector: simple', () => {
  const t = new Transcript('test protocol');
  t.appendMessage('some label', 'some data');
  assert.equal(hex(t.challengeBytes('challenge', 32)), 'd5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615');
});

test('published Merlin vector: complex (32 rounds, 1024-byte messages)', () => {
  const t = new Transcript('test protocol');
  t.appendMessage('step1', 'some data');
  const big = new Uint8Array(1024).fill(0x63);
  let ch;
  for (let i = 0; i < 32; i++) {
    ch = t.challengeBytes('challenge', 32);
    t.appendMessage('bigdata', big);
    t.appendMessage('challengedata', ch);
  }
  assert.equal(hex(ch), 'a8c933f54fae76e3f9bea93648c1308e7dfa2152dd51674ff3ca438351cf003c');
});

test('strings are UTF-8, and equal to their bytes', () => {
  const a = new Transcript('票决').appendMessage('标签', '数据').challengeBytes('c', 16);
  const enc = new TextEncoder();
  const b = new Transcript(enc.encode('票决')).appendMessage(enc.encode('标签'), enc.encode('数据')).challengeBytes(enc.encode('c'), 16);
  assert.deepEqual(a, b);
});

test('appendU64 is little-endian and takes numbers and bigints', () => {
  const a = new Transcript('x').appendU64('n', 258).challengeBytes('c', 8);
  const b = new Transcript('x').appendMessage('n', Uint8Array.of(2, 1, 0, 0, 0, 0, 0, 0)).challengeBytes('c', 8);
  const c = new Transcript('x').appendU64('n', 258n).challengeBytes('c', 8);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.throws(() => new Transcript('x').appendU64('n', -1));
  assert.throws(() => new Transcript('x').appendU64('n', 2n ** 64n));
});

test('a clone is independent of its original', () => {
  const t = new Transcript('x').appendMessage('a', 'b');
  const u = t.clone();
  const fromClone = u.challengeBytes('c', 32);
  u.appendMessage('more', 'data');
  assert.deepEqual(t.challengeBytes('c', 32), fromClone);
});
