// Small helpers shared by the staff modules.
import { errorText, h, replace } from '../common.js';

/** A notice box: `kind` is ok, error or warn. */
export function notice(kind, ...children) {
  return h('div', { class: `notice ${kind}` }, ...children);
}

/**
 * Runs the action `fn` with `button` disabled, then shows in `msg` the text `fn` resolves to
 * (nothing if none) or the refusal, with the server's message.
 */
export async function submit(button, msg, fn) {
  button.disabled = true;
  try {
    const ok = await fn();
    replace(msg, ok ? notice('ok', ok) : null);
  } catch (e) {
    replace(msg, notice('error', errorText(e)));
  } finally {
    button.disabled = false;
  }
}
