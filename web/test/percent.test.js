// formatPercent (src/ui/common.js): the satisfaction rate as the pages show it, rounded half up
// from the exact fraction on integers (issue 16 item 9); the record's floored basis points
// (protocol §12.5) are not what people read. formatMoney: money as each language writes it
// (issue 16 item 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colon, formatMoney, formatPercent, listSep, setLang } from '../src/ui/common.js';

// setLang re-applies the page's texts: a page with no element to translate.
globalThis.document ??= { documentElement: {}, querySelectorAll: () => [] };

test('percentages: rounded half up to two decimals from the exact fraction', () => {
  for (const [part, whole, shown] of [
    [227, 238, '95.38'], // 95.378…: the floored basis points would say 95.37
    [2, 3, '66.67'],
    [1, 3, '33.33'],
    [1, 32, '3.13'], // 3.125: half up
    [1, 8, '12.50'],
    [238, 238, '100.00'],
    [0, 238, '0.00'],
    [0, 0, '0.00'],
    [99_999, 100_000, '100.00'],
    [99_994, 100_000, '99.99'],
  ]) assert.equal(formatPercent(part, whole), shown, `${part}/${whole}`);
});

test('money: 万元 in Chinese, ¥… million in English', () => {
  setLang('zh');
  assert.equal(formatMoney(38_000_000), '3,800 万元');
  assert.equal(formatMoney(2_150_000), '215 万元');
  setLang('en');
  assert.equal(formatMoney(38_000_000), '¥38 million');
  assert.equal(formatMoney(2_150_000), '¥2.15 million');
  assert.equal(formatMoney(800_000), '¥800,000');
  setLang('zh');
});

test('lists and labels in running text: 、 and ： in Chinese, ", " and ": " in English', () => {
  setLang('zh');
  assert.equal(['甲', '乙'].join(listSep()), '甲、乙');
  assert.equal(colon(), '：');
  setLang('en');
  assert.equal(['a', 'b'].join(listSep()), 'a, b');
  assert.equal(colon(), ': ');
  setLang('zh');
});
