// The election page's "check it yourself" box (自行核验, issue 16 item 15): the record to download,
// where to get the independent verifier — the files the server offers (`serve --downloads-dir`,
// GET /api/downloads, spec/api.md §8.1) with their SHA-256, or the command that builds it — and
// the verifier's commands for this election, one per line.
import { addTexts, h, t } from './common.js';

addTexts({
  zh: {
    'self': '自行核验', 'self.help': '不必相信本服务器：在自己的电脑上用独立的验证程序，核对每一张选票、密钥生成、计票和结果。',
    'self.get': '获取验证程序', 'self.none': '本服务器未提供验证程序下载，可用下面第一条命令从源代码构建。',
    'self.file': '{name}（{size} 字节）', 'self.sha': '校验值：',
    'self.sha.help': '下载后请核对校验值，最好与组织方另行公布的校验值比对；本服务器给出的校验值只能说明下载过程中文件没有损坏。',
    'self.sha.tech': '校验值是文件的 SHA-256 摘要，可用命令 sha256sum 文件名 计算。版本：{version}。',
    'self.commands': '命令（每行一条）',
    'self.cmd.build': '从源代码构建验证程序：', 'self.cmd.record': '核对下载的选举记录：', 'self.cmd.url': '或直接从本服务器下载并核对：',
    'self.cmd.receipt': '核对回执文件：', 'self.cmd.audit': '核对核验文件：',
    'self.record.download': '下载选举记录（JSON）', 'self.record.pending': '投票开始后可以下载选举记录。',
    'self.details': '技术细节',
  },
  en: {
    'self': 'Check it yourself', 'self.help': 'You need not trust this server: check every ballot, the key ceremony, the tally and the result on your own computer with the independent verifier.',
    'self.get': 'Get the verifier', 'self.none': 'This server offers no download of the verifier; build it from the source with the first command below.',
    'self.file': '{name} ({size} bytes)', 'self.sha': 'SHA-256: ',
    'self.sha.help': 'Check the digest after downloading, best against one the organisers published elsewhere; a digest from this server only shows the file was not damaged on the way.',
    'self.sha.tech': 'The digest is the file’s SHA-256, as sha256sum prints it. Version: {version}.',
    'self.commands': 'Commands (one per line)',
    'self.cmd.build': 'Build the verifier from the source:', 'self.cmd.record': 'Check the downloaded record:', 'self.cmd.url': 'Or download and check it from this server:',
    'self.cmd.receipt': 'Check a receipt file:', 'self.cmd.audit': 'Check an audit file:',
    'self.record.download': 'Download the record (JSON)', 'self.record.pending': 'The record can be downloaded once voting opens.',
    'self.details': 'Technical details',
  },
});

/** The command that builds the verifier when the server does not say (spec/api.md §8.1). */
export const BUILD_COMMAND = 'cargo build --release -p piaojue-verifier';

/**
 * The verifier's commands for election `id` on the server at `origin`: `[[label key, command]]`,
 * one command each.
 */
export function verifyCommands(id, origin, buildCommand = BUILD_COMMAND) {
  const file = `${id}-record.json`;
  return [
    ['self.cmd.build', buildCommand],
    ['self.cmd.record', `piaojue-verify record ${file}`],
    ['self.cmd.url', `piaojue-verify url ${origin} ${id}`],
    ['self.cmd.receipt', `piaojue-verify receipt receipt.json --url ${origin}`],
    ['self.cmd.audit', `piaojue-verify audit audited-*.json --url ${origin} --election ${id}`],
  ];
}

/**
 * The card (`#record-card`): the record's link once `ready`, the `downloads` (the answer of
 * GET /api/downloads, or null) with their digests, and the commands (`#verify-command`).
 */
export function checkYourselfCard({ id, origin, ready, downloads, recordHref }) {
  const files = downloads?.files ?? [];
  return h('div', { class: 'card', id: 'record-card' },
    h('h2', {}, t('self')),
    h('p', {}, t('self.help')),
    ready
      ? h('a', { class: 'button primary', id: 'record-link', href: recordHref, download: `${id}-record.json` }, t('self.record.download'))
      : h('p', { class: 'muted' }, t('self.record.pending')),
    h('h3', {}, t('self.get')),
    files.length
      ? [h('ul', { id: 'downloads' }, files.map((f) => h('li', { dataset: { name: f.name, sha256: f.sha256 } },
        h('a', { href: f.url, download: f.name }, t('self.file', { name: f.name, size: f.size })),
        h('div', {}, t('self.sha'), h('span', { class: 'hex mono sha256' }, f.sha256))))),
      h('p', { class: 'muted' }, t('self.sha.help')),
      h('details', { class: 'tech' }, h('summary', {}, t('self.details')),
        h('div', { class: 'muted' }, t('self.sha.tech', { version: downloads.version ?? '' })))]
      : h('p', { class: 'muted', id: 'downloads-none' }, t('self.none')),
    h('h3', {}, t('self.commands')),
    h('ol', { class: 'commands', id: 'verify-command' }, verifyCommands(id, origin, downloads?.build_command || BUILD_COMMAND).map(([key, cmd]) =>
      h('li', {}, h('div', { class: 'muted' }, t(key)), h('pre', { class: 'cmd' }, cmd)))));
}
