// The witnesses card of the election page (issue 15): the independent parties the manifest names
// to cosign the board's checkpoints (spec/protocol.md §14), the quorum, the largest log size each
// has cosigned and when (`GET …/board/cosignatures`), and the latest checkpoint with the quorum
// (`GET …/board/checkpoint`), its signatures checked here against the manifest's keys. Plain words
// first; origin, keys and the signed note under 技术细节.
//
// `witnessesView` turns what was fetched into a view model (pure, tested in test/witnesses.test.js);
// `witnessesCard` renders it; `loadWitnesses` fetches.
import { ApiError, addTexts, api, formatTime, groupChars, h, t } from './common.js';
import { apiPath, fetchCheckpoint } from './board.js';
import {
  SIG_COSIGNATURE_V1, SIG_ED25519, encodeVkey, isNoteKeyName, parseCheckpoint, parseNote, signatureMatches, verifyNoteSignature,
} from './receipt.js';

addTexts({
  zh: {
    'wit.title': '见证人',
    'wit.help': '见证人是选举清单指定的独立单位，逐一核对公告板每次更新都与此前的记录一致后才副签；有规定人数的见证人副签，公告板就无法向不同的人出示不同的记录。',
    'wit.quorum': '副签要求',
    'wit.quorum.some': '须 {k} 名见证人副签（共 {n} 名）',
    'wit.quorum.all': '须全部 {n} 名见证人副签',
    'wit.quorum.one': '须这名见证人副签',
    'wit.col.name': '见证人', 'wit.col.url': '地址', 'wit.col.latest': '最近副签',
    'wit.latest': '前 {n} 条',
    'wit.not_yet': '尚未副签',
    'wit.covered': '见证人已副签公告板前 {n} 条（共 {m} 条）。',
    'wit.covered.all': '见证人已副签公告板全部 {m} 条。',
    'wit.none': '还没有哪次公告板更新得到规定人数的见证人副签。公告板会在后台把每次更新提交给见证人，通常几秒内完成。',
    'wit.valid': '本浏览器已核对：公告板的签名有效，{count} 名见证人的副签有效（须 {quorum} 名）。',
    'wit.invalid': '本浏览器核对未通过：服务器给出的检查点不是本次选举的公告板签名、并经规定人数的见证人副签的检查点。',
    'wit.cosignatures.failed': '无法取得见证人的副签，请稍后刷新页面。',
    'wit.checkpoint.failed': '无法取得见证人副签的检查点，请稍后刷新页面。',
    'wit.details': '技术细节',
    'wit.tech.origin': '公告板日志标识',
    'wit.tech.board_key': '公告板公钥',
    'wit.tech.vkey': '验证密钥',
    'wit.tech.keys': '见证人公钥',
    'wit.tech.root': '检查点根哈希',
    'wit.tech.note': '检查点签名文本（公告板签名和见证人副签）：',
  },
  en: {
    'wit.title': 'Witnesses',
    'wit.help': 'Witnesses are independent bodies named in the election’s manifest. Each cosigns an update of the bulletin board only after checking that it is consistent with everything the board showed before; with the quorum of cosignatures, the board cannot show different records to different people.',
    'wit.quorum': 'Quorum',
    'wit.quorum.some': '{k} of the {n} witnesses must cosign',
    'wit.quorum.all': 'all {n} witnesses must cosign',
    'wit.quorum.one': 'the witness must cosign',
    'wit.col.name': 'Witness', 'wit.col.url': 'Address', 'wit.col.latest': 'Latest cosignature',
    'wit.latest': 'first {n} entries',
    'wit.not_yet': 'not yet',
    'wit.covered': 'The witnesses have cosigned the first {n} of the board’s {m} entries.',
    'wit.covered.all': 'The witnesses have cosigned all {m} of the board’s entries.',
    'wit.none': 'No update of the board has the quorum of cosignatures yet. The board submits each update to the witnesses in the background, usually within seconds.',
    'wit.valid': 'Checked in this browser: the board’s signature is valid, and so are the witnesses’ cosignatures (valid: {count}; needed: {quorum}).',
    'wit.invalid': 'The check in this browser FAILED: the checkpoint the server gave is not one that this election’s board signed and the quorum of witnesses cosigned.',
    'wit.cosignatures.failed': 'The witnesses’ cosignatures could not be loaded; reload the page later.',
    'wit.checkpoint.failed': 'The checkpoint the witnesses cosigned could not be loaded; reload the page later.',
    'wit.details': 'Technical details',
    'wit.tech.origin': 'Log origin',
    'wit.tech.board_key': 'Board key',
    'wit.tech.vkey': 'verifier key',
    'wit.tech.keys': 'Witnesses’ keys',
    'wit.tech.root': 'Checkpoint root',
    'wit.tech.note': 'The checkpoint’s signed note (the board’s signature and the witnesses’ cosignatures):',
  },
});

// ------------------------------------------------------------------------------------------
// The view model (pure)

/** The witnesses the manifest names (`witnesses.list`), or []. */
export function namedWitnesses(manifest) {
  const list = manifest?.witnesses?.list;
  return Array.isArray(list) ? list : [];
}

/**
 * Each named witness's largest cosigned size and its time: `Map(name → { size, timestamp })`
 * (timestamp in POSIX seconds). Cosignatures of names the manifest does not name are ignored.
 */
export function latestCosignatures(names, cosignatures) {
  const known = new Set(names);
  const latest = new Map();
  for (const c of Array.isArray(cosignatures) ? cosignatures : []) {
    if (!known.has(c?.witness) || !Number.isSafeInteger(c.size)) continue;
    const prev = latest.get(c.witness);
    if (!prev || c.size > prev.size || (c.size === prev.size && c.timestamp > prev.timestamp))
      latest.set(c.witness, { size: c.size, timestamp: c.timestamp });
  }
  return latest;
}

/** A verifier key's text (`name+key id+base64`), or null for a key that does not decode. */
function vkeyOf(name, type, key) {
  try { return encodeVkey(name, type, key); } catch { return null; }
}

/**
 * The checkpoint note (bytes or text) checked against the manifest: `{ text, size, root, origin,
 * count, valid }`, `count` the manifest's witnesses whose cosignature verifies, `valid` when the
 * origin is the manifest's, the board's line verifies with its key and `count` reaches the
 * quorum; null when it is not a signed checkpoint.
 */
export function readCheckpoint(manifest, note) {
  let parsed;
  let cp;
  try {
    parsed = parseNote(note);
    cp = parseCheckpoint(parsed.text);
  } catch {
    return null;
  }
  const origin = manifest.board?.origin;
  const boardKey = { name: origin, type: SIG_ED25519, key: manifest.board?.key };
  const boardLines = parsed.signatures.filter((s) => isNoteKeyName(origin) && signatureMatches(s, boardKey));
  const boardSigned = boardLines.length > 0 && boardLines.every((s) => verifyNoteSignature(parsed.text, s, boardKey));
  const count = namedWitnesses(manifest)
    .filter((w) => isNoteKeyName(w.name))
    .map((w) => ({ name: w.name, type: SIG_COSIGNATURE_V1, key: w.key }))
    .filter((k) => parsed.signatures.some((s) => verifyNoteSignature(parsed.text, s, k)))
    .length;
  const full = typeof note === 'string' ? note : new TextDecoder().decode(note);
  return {
    text: full, size: cp.size, root: cp.root, origin: cp.origin, count,
    valid: cp.origin === origin && boardSigned && count >= manifest.witnesses.quorum,
  };
}

/**
 * The witnesses card's view model, or null when the manifest names no witnesses (no card).
 * `cosignatures`: the `…/board/cosignatures` array, or an Error; `checkpoint`: the checkpoint
 * note (bytes or text), null while none has the quorum, or an Error; `boardSize`: the log's size.
 * `checkpoint.state` is `cosigned`, `invalid` (not a valid checkpoint with the quorum), `none`
 * or `failed`.
 */
export function witnessesView({ manifest, cosignatures, checkpoint, boardSize }) {
  const list = namedWitnesses(manifest);
  if (!list.length) return null;
  const failed = cosignatures instanceof Error || !Array.isArray(cosignatures);
  const latest = failed ? new Map() : latestCosignatures(list.map((w) => w.name), cosignatures);
  const witnesses = list.map((w) => ({
    name: w.name, url: w.url, key: w.key, vkey: vkeyOf(w.name, SIG_COSIGNATURE_V1, w.key),
    size: latest.get(w.name)?.size ?? null, timestamp: latest.get(w.name)?.timestamp ?? null,
  }));
  let cp;
  if (checkpoint instanceof Error) cp = { state: 'failed' };
  else if (checkpoint == null) cp = { state: 'none' };
  else {
    const read = readCheckpoint(manifest, checkpoint);
    cp = read?.valid ? { state: 'cosigned', ...read } : { state: 'invalid', ...read };
  }
  const origin = manifest.board?.origin ?? '';
  return {
    quorum: manifest.witnesses.quorum,
    total: list.length,
    board: { origin, key: manifest.board?.key ?? '', vkey: vkeyOf(origin, SIG_ED25519, manifest.board?.key) },
    witnesses,
    cosignaturesFailed: failed,
    checkpoint: cp,
    boardSize: Math.max(boardSize ?? 0, cp.size ?? 0),
  };
}

/** Whether the view should be fetched again soon: no quorum yet, behind the log, or a failure. */
export function witnessesLagging(view) {
  if (!view) return false;
  return view.cosignaturesFailed || view.checkpoint.state !== 'cosigned' || view.checkpoint.size < view.boardSize;
}

// ------------------------------------------------------------------------------------------
// Texts (in the page's language)

/** The quorum in words: "须 2 名见证人副签（共 3 名）" / "2 of the 3 witnesses must cosign". */
export function quorumText(quorum, total) {
  if (total === 1 && quorum === 1) return t('wit.quorum.one');
  if (quorum === total) return t('wit.quorum.all', { n: total });
  return t('wit.quorum.some', { k: quorum, n: total });
}

/** How much of the board the checkpoint with the quorum covers. */
export function coverageText(size, boardSize) {
  return size >= boardSize ? t('wit.covered.all', { m: size }) : t('wit.covered', { n: size, m: boardSize });
}

/** A witness's latest cosignature: its size, or "not yet". */
export function latestText(w) {
  return w.size == null ? t('wit.not_yet') : t('wit.latest', { n: w.size });
}

/** The sentence on the checkpoint with the quorum and its check, and the notice's kind. */
export function checkpointLines(view) {
  const cp = view.checkpoint;
  switch (cp.state) {
    case 'cosigned': return { kind: 'ok', lines: [coverageText(cp.size, view.boardSize), t('wit.valid', { count: cp.count, quorum: view.quorum })] };
    case 'invalid': return { kind: 'error', lines: [t('wit.invalid')] };
    case 'failed': return { kind: 'error', lines: [t('wit.checkpoint.failed')] };
    default: return { kind: 'muted', lines: [t('wit.none')] };
  }
}

// ------------------------------------------------------------------------------------------
// Rendering

function witnessRow(w) {
  return h('tr', { dataset: { witness: w.name, size: w.size == null ? '' : String(w.size) } },
    h('td', {}, w.name),
    h('td', { class: 'mono' }, w.url),
    h('td', {}, latestText(w), w.timestamp == null ? null : h('div', { class: 'muted time' }, formatTime(w.timestamp * 1000))));
}

function techDetails(view) {
  const cp = view.checkpoint;
  const kv = (label, ...value) => [h('dt', {}, label), h('dd', { class: 'mono' }, ...value)];
  return h('details', { class: 'tech', id: 'witnesses-details' }, h('summary', {}, t('wit.details')),
    h('dl', { class: 'kv' },
      kv(t('wit.tech.origin'), view.board.origin),
      kv(t('wit.tech.board_key'), view.board.key, view.board.vkey ? h('div', { class: 'muted' }, `${t('wit.tech.vkey')} ${view.board.vkey}`) : null),
      cp.root ? kv(t('wit.tech.root'), groupChars(cp.root)) : null),
    h('h3', {}, t('wit.tech.keys')),
    h('dl', { class: 'kv', id: 'witness-keys' }, view.witnesses.flatMap((w) => kv(w.name, w.key,
      w.vkey ? h('div', { class: 'muted' }, `${t('wit.tech.vkey')} ${w.vkey}`) : null))),
    cp.text ? [h('p', { class: 'muted' }, t('wit.tech.note')), h('pre', { class: 'cmd', id: 'checkpoint-note' }, cp.text)] : null);
}

/** The card (`#witnesses-card`) of a view model. */
export function witnessesCard(view) {
  const { kind, lines } = checkpointLines(view);
  const cp = view.checkpoint;
  return h('div', { class: 'card', id: 'witnesses-card' },
    h('h2', {}, t('wit.title')),
    h('p', { class: 'muted' }, t('wit.help')),
    h('dl', { class: 'kv' }, h('dt', {}, t('wit.quorum')), h('dd', { id: 'witness-quorum' }, quorumText(view.quorum, view.total))),
    h('div', { class: kind === 'muted' ? 'muted' : `notice ${kind}`, id: 'witnessed', dataset: { state: cp.state, size: String(cp.size ?? 0) } },
      lines.map((line) => h('div', {}, line))),
    view.cosignaturesFailed ? h('div', { class: 'notice error', id: 'cosignatures-failed' }, t('wit.cosignatures.failed')) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'entries', id: 'witness-list' },
      h('thead', {}, h('tr', {}, ['name', 'url', 'latest'].map((k) => h('th', {}, t(`wit.col.${k}`))))),
      h('tbody', {}, view.witnesses.map(witnessRow)))),
    techDetails(view));
}

// ------------------------------------------------------------------------------------------
// Fetching

/**
 * What `witnessesView` needs from the server for election `id`: `{ cosignatures, checkpoint }`,
 * each an Error when it could not be had; `checkpoint` null while none has the quorum (404).
 */
export async function loadWitnesses(id) {
  const [cos, cp] = await Promise.allSettled([api(apiPath(id, '/board/cosignatures')), fetchCheckpoint(id)]);
  const asError = (e) => (e instanceof Error ? e : new Error(String(e)));
  return {
    cosignatures: cos.status === 'fulfilled' ? cos.value : asError(cos.reason),
    checkpoint: cp.status === 'fulfilled' ? cp.value
      : cp.reason instanceof ApiError && cp.reason.status === 404 ? null : asError(cp.reason),
  };
}
