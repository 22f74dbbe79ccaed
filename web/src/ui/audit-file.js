// An audit file checked in the browser (spec/verification.md §7.7, steps A1–A4), with the rules of
// `piaojue-verify audit`: the file the booth's "audit this ballot" downloads, `{ ballot, opening }`.
//
//   A1  the file holds a well-formed ballot of this election (its fingerprint, its shape)
//   A2  the revealed choices and randomness re-encrypt to the ballot's ciphertexts
//   A3  the ballot's signature and proofs, bound to this election (credential on the list)
//   A4  the board holds this ballot as an audited ballot (the entry of its tracking code)
//
// The check needs no server but for A4; its report is plain data, shown by the election page.
import { BallotError, checkOpening, trackingCode, verifyBallot } from '../piaojue.js';

/** The steps of an audit file's check, in order. */
export const AUDIT_STEPS = ['A1', 'A2', 'A3', 'A4'];

const FORM_CODES = new Set(['decode', 'V5.1', 'V5.3']);

/**
 * Parses an audit file's text: a JSON object with exactly `ballot` and `opening`. Throws an
 * Error with `code` 'not-audit-file' otherwise.
 */
export function parseAuditFile(text) {
  let v;
  try {
    v = JSON.parse(String(text ?? ''));
  } catch {
    v = null;
  }
  const keys = v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort().join(',') : '';
  if (keys !== 'ballot,opening') {
    const e = new Error('the file is not an audit file: expected a JSON object with exactly "ballot" and "opening"');
    e.code = 'not-audit-file';
    throw e;
  }
  return v;
}

const failure = (e) => ({ code: e instanceof BallotError ? e.step : 'selection', message: e.message });

/**
 * Checks `audited` (`{ ballot, opening }`) for `election` (a piaojue.js `Election` whose
 * fingerprint was recomputed from the board) with the election's `credentials` (base64url keys).
 * `boardEntry(code)` resolves to the board's entry `{ kind, data }` for a tracking code, or null
 * when the board has none. Resolves to `{ passed, code, selection, steps: [{ id, status, failures }] }`,
 * `selection` the revealed `[[0|1, …], …]` once A2 passed.
 */
export async function checkAuditFile(audited, { election, credentials, boardEntry }) {
  const steps = [];
  const step = (id, failures = [], status = failures.length ? 'failed' : 'passed') => steps.push({ id, status, failures });
  let code = null;
  let ballotError = null;
  try {
    code = verifyBallot(election, audited.ballot, { credentials });
  } catch (e) {
    if (!(e instanceof BallotError)) throw e;
    ballotError = e;
  }
  if (ballotError && FORM_CODES.has(ballotError.step)) {
    step('A1', [failure(ballotError)]);
    for (const id of ['A2', 'A3', 'A4']) step(id, [], 'skipped');
    return { passed: false, code, selection: null, steps };
  }
  code ??= trackingCode(audited.ballot);
  step('A1');
  let selection = null;
  try {
    selection = checkOpening(election, audited);
    step('A2');
  } catch (e) {
    step('A2', [failure(e)]);
  }
  step('A3', ballotError ? [failure(ballotError)] : []);
  let entry = null;
  try {
    entry = await boardEntry(code);
  } catch (e) {
    step('A4', [{ code: 'fetch', message: `the board could not be read: ${e.message}` }]);
  }
  if (steps.length === 3) {
    const onBoard = entry?.kind === 'audited' && trackingCode(entry.data?.ballot) === code;
    step('A4', onBoard ? [] : [{
      code: entry?.kind === 'ballot' ? 'cast' : 'not-on-board',
      message: entry?.kind === 'ballot'
        ? 'this ballot was cast: an audited ballot must never count'
        : 'this audited ballot is not on the board: the board did not publish the audit',
    }]);
  }
  return { passed: steps.every((s) => s.status !== 'failed'), code, selection, steps };
}
