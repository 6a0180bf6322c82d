/** Usage-error paragraphs: the flag, the quoted value, what is expected, an example. */
import type { FlagDef } from "./flags.js";

export const flagText = (f: FlagDef) => `--${f.name}`;
/**
 * Characters that must never reach a terminal or a generated file raw: C0 controls (newline,
 * CR, ESC…), DEL, C1 controls, the Unicode line/paragraph separators and the bidi overrides
 * (which reorder what a reader sees).
 */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const CONTROL_ALL = new RegExp(CONTROL.source, "g");
const u = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** A value quoted for a message: JSON string syntax, with every control character escaped (JSON.stringify leaves DEL, C1 and the rest raw). */
export const quote = (v: unknown) => escapeControls(JSON.stringify(String(v)));
/** Control characters in already-quoted text (JSON) escaped as \uXXXX. */
export const escapeControls = (s: string) => s.replace(CONTROL_ALL, u);

/** A message for the terminal: paragraphs stay paragraphs, every other control character is shown escaped. */
export const forTerminal = (s: string) => s.replace(/[^\n]/g, (ch) => (CONTROL.test(ch) ? u(ch) : ch));

/** Text for a comment line or a message without quotes: control characters shown escaped. */
export const shownInComment = (s: string) => s.replace(/\\/g, "\\\\").replace(CONTROL_ALL, u);

/** The one-paragraph message for a value that does not fit its flag. */
export function badValue(f: FlagDef, value: unknown, detail?: string): string {
  const why = detail ? `${detail}; expected` : "expected";
  return `${flagText(f)} ${quote(value)}: ${why} ${f.expect ?? "a valid value"}, e.g. ${flagText(f)} ${f.example ?? ""}.`.replace(/ \.$/, ".");
}

export function missing(f: FlagDef, context: string): string {
  return `${flagText(f)} is required ${context}: ${f.expect ?? "a value"}, e.g. ${flagText(f)} ${f.example ?? ""}.`;
}
