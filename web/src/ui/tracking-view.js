// A tracking code as the booth and the board page show it (protocol §8.4): its short form big,
// for people to write down and read aloud, and the full code under 技术细节 (the receipt file
// keeps the full code).
import { shortTrackingCode } from '../tracking.js';
import { addTexts, groupChars, h, t } from './common.js';

addTexts({
  zh: {
    'tracking.label': '跟踪码',
    'tracking.details': '技术细节',
    'tracking.full': '完整跟踪码（回执文件中保存的是它；16 位跟踪码是它的前一部分）：',
  },
  en: {
    'tracking.label': 'Tracking code',
    'tracking.details': 'Technical details',
    'tracking.full': 'The full tracking code (the receipt file keeps it; the 16-character code is its beginning):',
  },
});

/**
 * The short form of the full `code` in `#<id>-short` (big), the full code in `#<id>`
 * (`data-code`, in groups of 8) inside a closed 技术细节 fold-out.
 */
export function trackingCodeView(code, id = 'tracking-code') {
  let short;
  try { short = shortTrackingCode(code); } catch { short = '—'; }
  return h('div', { class: 'tracking-view' },
    h('div', { class: 'muted' }, t('tracking.label')),
    h('div', { class: 'tracking short-code mono', id: `${id}-short`, dataset: { code } }, short),
    h('details', { class: 'tech' },
      h('summary', {}, t('tracking.details')),
      h('div', { class: 'muted' }, t('tracking.full')),
      h('div', { class: 'hex mono', id, dataset: { code } }, groupChars(code))));
}

/** The short form of `code` for a list (the board's entries), the full code in `data-code` and `title`. */
export function trackingCodeCell(code) {
  let short;
  try { short = shortTrackingCode(code); } catch { short = code; }
  return h('span', { class: 'mono tracking-cell', title: code, dataset: { code } }, short);
}
