// formatPercent (src/ui/common.js): the satisfaction rate as the pages show it, rounded half up
// from the exact fraction on integers (issue 16 item 9); the record's floored basis points
// (protocol §12.5) are not what people read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPercent } from '../src/ui/common.js';

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
