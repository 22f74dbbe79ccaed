// The witnesses card of the election page (issue 15, web/src/ui/witnesses.js): the view model
// from the manifest, the board's cosignatures and its checkpoint with the quorum (signed with real
// keys, test/fixtures/fake-board.js), its texts in both languages, and the card rendered on a
// small stand-in for the DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setLang } from '../src/ui/common.js';
import {
  checkpointLines, coverageText, latestCosignatures, latestText, quorumText, readCheckpoint, witnessesCard, witnessesLagging,
  witnessesView,
} from '../src/ui/witnesses.js';
import { Log, boardLine, checkpointText, cosignatureLine, keyPair, note } from './fixtures/fake-board.js';

// A stand-in for the DOM, enough for `h`: elements with attributes, a dataset and children.
class FakeNode {
  constructor(tag, text) { Object.assign(this, { tag, text, attrs: {}, dataset: {}, children: [] }); }
  setAttribute(k, v) { this.attrs[k] = v; }
  addEventListener() {}
  append(...c) { this.children.push(...c); }
  get textContent() { return this.text ?? this.children.map((c) => c.textContent).join(' '); }
  find(pred) { return pred(this) ? this : this.children.map((c) => c.find(pred)).find(Boolean) ?? null; }
  byId(id) { return this.find((n) => n.attrs.id === id); }
}
globalThis.Node = FakeNode;
globalThis.document = {
  documentElement: {},
  querySelectorAll: () => [],
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (text) => new FakeNode('#text', text),
};

const ORIGIN = 'board.example/test-2026';
const BOARD = keyPair(0xb0);
const W = [1, 2, 3].map((i) => ({ name: `witness.example/w${i}`, url: `https://w${i}.example/`, ...keyPair(0xc0 + i) }));
const OTHER = { name: 'witness.example/w4', ...keyPair(0xc4) };
const T = 1767225600;
const manifest = (list = W, quorum = 2) => ({
  election_id: 'test-2026',
  board: { origin: ORIGIN, key: BOARD.key },
  witnesses: { quorum, list: list.map(({ name, key, url }) => ({ name, key, url })) },
});
const log = new Log(Array.from({ length: 8 }, (_, i) => ({ index: i, kind: 'close', data: { ballots: i } })));
/** The checkpoint of `n` entries signed by the board and cosigned by `witnesses`. */
const checkpoint = (n, witnesses, { board = BOARD, origin = ORIGIN } = {}) => {
  const text = checkpointText(log, origin, n);
  return new TextEncoder().encode(note(text, [boardLine(text, origin, board), ...witnesses.map((w) => cosignatureLine(text, w.name, w, T + n))]));
};
const cosignatures = [
  { size: 3, witness: W[0].name, timestamp: T + 3, signature: 'x' },
  { size: 3, witness: W[1].name, timestamp: T + 4, signature: 'x' },
  { size: 6, witness: W[0].name, timestamp: T + 6, signature: 'x' },
  { size: 8, witness: OTHER.name, timestamp: T + 8, signature: 'x' },
];

test('the quorum in words, in both languages', () => {
  setLang('zh');
  assert.equal(quorumText(2, 3), '须 2 名见证人副签（共 3 名）');
  assert.equal(quorumText(3, 3), '须全部 3 名见证人副签');
  assert.equal(quorumText(1, 1), '须这名见证人副签');
  setLang('en');
  assert.equal(quorumText(2, 3), '2 of the 3 witnesses must cosign');
  assert.equal(quorumText(3, 3), 'all 3 witnesses must cosign');
  assert.equal(quorumText(1, 1), 'the witness must cosign');
});

test('each named witness’s largest cosigned size and its time; names the manifest does not name are ignored', () => {
  const latest = latestCosignatures(W.map((w) => w.name), cosignatures);
  assert.deepEqual([...latest], [[W[0].name, { size: 6, timestamp: T + 6 }], [W[1].name, { size: 3, timestamp: T + 4 }]]);
  const view = witnessesView({ manifest: manifest(), cosignatures, checkpoint: null, boardSize: 8 });
  assert.deepEqual(view.witnesses.map((w) => [w.name, w.url, w.size, w.timestamp]),
    [[W[0].name, W[0].url, 6, T + 6], [W[1].name, W[1].url, 3, T + 4], [W[2].name, W[2].url, null, null]]);
  assert.ok(!view.witnesses.some((w) => w.name === OTHER.name));
  assert.ok(view.witnesses.every((w) => w.vkey.startsWith(`${w.name}+`)));
  setLang('zh');
  assert.deepEqual(view.witnesses.map(latestText), ['前 6 条', '前 3 条', '尚未副签']);
  setLang('en');
  assert.deepEqual(view.witnesses.map(latestText), ['first 6 entries', 'first 3 entries', 'not yet']);
});

test('no witnesses named: no card', () => {
  assert.equal(witnessesView({ manifest: manifest([], 0), cosignatures: [], checkpoint: null, boardSize: 5 }), null);
  assert.equal(witnessesView({ manifest: { board: { origin: ORIGIN, key: BOARD.key } }, cosignatures: [], checkpoint: null, boardSize: 5 }), null);
  assert.equal(witnessesLagging(null), false);
});

test('no checkpoint has the quorum yet: said plainly, not as an error, and fetched again', () => {
  const view = witnessesView({ manifest: manifest(), cosignatures, checkpoint: null, boardSize: 8 });
  assert.equal(view.checkpoint.state, 'none');
  assert.ok(witnessesLagging(view));
  setLang('zh');
  const { kind, lines } = checkpointLines(view);
  assert.equal(kind, 'muted');
  assert.match(lines[0], /还没有/);
  assert.match(lines[0], /几秒/);
  setLang('en');
  assert.match(checkpointLines(view).lines[0], /^No update of the board has the quorum of cosignatures yet\./);
});

test('the latest checkpoint with the quorum: checked against the manifest’s keys, and how much of the board it covers', () => {
  const view = witnessesView({ manifest: manifest(), cosignatures, checkpoint: checkpoint(6, [W[0], W[2]]), boardSize: 8 });
  assert.equal(view.checkpoint.state, 'cosigned');
  assert.equal(view.checkpoint.size, 6);
  assert.equal(view.checkpoint.count, 2);
  assert.ok(view.checkpoint.text.startsWith(`${ORIGIN}\n6\n`));
  assert.ok(witnessesLagging(view), 'behind the board: fetched again');
  setLang('zh');
  assert.deepEqual(checkpointLines(view), { kind: 'ok', lines: ['见证人已副签公告板前 6 条（共 8 条）。', '本浏览器已核对：公告板的签名有效，2 名见证人的副签有效（须 2 名）。'] });
  setLang('en');
  assert.equal(checkpointLines(view).lines[0], 'The witnesses have cosigned the first 6 of the board’s 8 entries.');
  assert.equal(coverageText(8, 8), 'The witnesses have cosigned all 8 of the board’s entries.');
  const all = witnessesView({ manifest: manifest(), cosignatures, checkpoint: checkpoint(8, W), boardSize: 8 });
  assert.equal(all.checkpoint.count, 3);
  assert.ok(!witnessesLagging(all));
  // A status older than the checkpoint: the checkpoint's size is the board's at least.
  assert.equal(witnessesView({ manifest: manifest(), cosignatures, checkpoint: checkpoint(8, W), boardSize: 7 }).boardSize, 8);
  setLang('zh');
  assert.equal(coverageText(8, 8), '见证人已副签公告板全部 8 条。');
});

test('a checkpoint that is not this board’s with the quorum of the manifest’s witnesses is shown as failed', () => {
  const m = manifest();
  const invalid = (cp) => witnessesView({ manifest: m, cosignatures, checkpoint: cp, boardSize: 8 }).checkpoint.state;
  assert.equal(invalid(checkpoint(6, [W[0]])), 'invalid', 'one cosignature, quorum 2');
  assert.equal(invalid(checkpoint(6, [W[0], OTHER])), 'invalid', 'a witness the manifest does not name');
  assert.equal(invalid(checkpoint(6, [W[0], W[1]], { board: keyPair(0xb1) })), 'invalid', 'another board key');
  assert.equal(invalid(checkpoint(6, [W[0], W[1]], { origin: 'board.example/other' })), 'invalid', 'another log');
  assert.equal(invalid('not a note'), 'invalid');
  assert.equal(readCheckpoint(m, 'not a note'), null);
  // A cosignature line of a witness whose signature does not verify is not counted.
  const good = new TextDecoder().decode(checkpoint(6, [W[0], W[1]]));
  const text = checkpointText(log, ORIGIN, 6);
  const forged = good.replace(cosignatureLine(text, W[1].name, W[1], T + 6), cosignatureLine(checkpointText(log, ORIGIN, 5), W[1].name, W[1], T + 6));
  assert.notEqual(forged, good);
  assert.equal(readCheckpoint(m, forged).count, 1);
  setLang('zh');
  const view = witnessesView({ manifest: m, cosignatures, checkpoint: forged, boardSize: 8 });
  assert.equal(checkpointLines(view).kind, 'error');
  assert.match(checkpointLines(view).lines[0], /核对未通过/);
});

test('fetch failures: a short message in the page’s language, and fetched again', () => {
  const view = witnessesView({ manifest: manifest(), cosignatures: new TypeError('Failed to fetch'), checkpoint: new Error('HTTP 500'), boardSize: 8 });
  assert.ok(view.cosignaturesFailed);
  assert.ok(view.witnesses.every((w) => w.size === null));
  assert.equal(view.checkpoint.state, 'failed');
  assert.ok(witnessesLagging(view));
  setLang('zh');
  assert.deepEqual(checkpointLines(view), { kind: 'error', lines: ['无法取得见证人副签的检查点，请稍后刷新页面。'] });
  setLang('en');
  assert.deepEqual(checkpointLines(view), { kind: 'error', lines: ['The checkpoint the witnesses cosigned could not be loaded; reload the page later.'] });
});

test('every text in both languages: Chinese without Latin letters, English without Chinese, the same placeholders', () => {
  const src = readFileSync(new URL('../src/ui/witnesses.js', import.meta.url), 'utf8');
  const block = (lang) => src.slice(src.indexOf(`  ${lang}: {`), src.indexOf('  },', src.indexOf(`  ${lang}: {`)));
  const texts = (lang) => Object.fromEntries([...block(lang).matchAll(/'(wit\.[\w.]+)': '(.*?)',?(?=\s|$)/g)].map((m) => [m[1], m[2]]));
  const zh = texts('zh');
  const en = texts('en');
  assert.ok(Object.keys(zh).length > 20);
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
  const params = (s) => [...s.matchAll(/\{\w+\}/g)].map((m) => m[0]).sort();
  for (const key of Object.keys(zh)) {
    assert.ok(/[\u4e00-\u9fff]/.test(zh[key]) && !/[A-Za-z]/.test(zh[key].replace(/\{\w+\}/g, '')), `${key}: ${zh[key]}`);
    assert.ok(/[A-Za-z]/.test(en[key]) && !/[\u3400-\u9fff\uff00-\uffef]/.test(en[key]), `${key}: ${en[key]}`);
    assert.deepEqual(params(en[key]), params(zh[key]), key);
  }
});

test('the card: the Chinese page has no English words but the data, the English page no Chinese', () => {
  const m = manifest();
  const view = witnessesView({ manifest: m, cosignatures, checkpoint: checkpoint(6, [W[0], W[2]]), boardSize: 8 });
  const data = [view.checkpoint.text, ...view.witnesses.flatMap((w) => [w.vkey, w.key, w.url, w.name]), view.board.vkey, view.board.key, ORIGIN];
  const strip = (text) => data.reduce((s, d) => s.split(d).join(''), text)
    .replace(/[A-Za-z0-9_-]{8}( [A-Za-z0-9_-]{1,8})+/g, ''); // the root, in groups of 8
  setLang('zh');
  let card = witnessesCard(view);
  assert.equal(card.attrs.id, 'witnesses-card');
  assert.equal(card.byId('witness-quorum').textContent, '须 2 名见证人副签（共 3 名）');
  assert.equal(card.byId('witnessed').dataset.state, 'cosigned');
  assert.equal(card.byId('witnesses-details').tag, 'details');
  assert.equal(card.byId('checkpoint-note').textContent, view.checkpoint.text);
  const rows = card.byId('witness-list').find((n) => n.tag === 'tbody').children;
  assert.deepEqual(rows.map((r) => r.dataset.size), ['6', '3', '']);
  assert.doesNotMatch(strip(card.textContent), /[A-Za-z]/);
  setLang('en');
  card = witnessesCard(view);
  assert.doesNotMatch(card.textContent, /[\u3400-\u9fff]/);
  assert.match(card.textContent, /2 of the 3 witnesses must cosign/);
  // No checkpoint yet, cosignatures not loaded: still a card, with both said.
  setLang('zh');
  card = witnessesCard(witnessesView({ manifest: m, cosignatures: new Error('x'), checkpoint: null, boardSize: 8 }));
  assert.equal(card.byId('witnessed').dataset.state, 'none');
  assert.equal(card.byId('cosignatures-failed').textContent, '无法取得见证人的副签，请稍后刷新页面。');
  assert.equal(card.byId('checkpoint-note'), null);
});
