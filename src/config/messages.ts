/** Usage-error paragraphs: the flag, the quoted value, what is expected, an example. */
import type { FlagDef } from "./flags.js";

export const flagText = (f: FlagDef) => `--${f.name}`;
export const quote = (v: unknown) => JSON.stringify(String(v));

/** The one-paragraph message for a value that does not fit its flag. */
export function badValue(f: FlagDef, value: unknown, detail?: string): string {
  const why = detail ? `${detail}; expected` : "expected";
  return `${flagText(f)} ${quote(value)}: ${why} ${f.expect ?? "a valid value"}, e.g. ${flagText(f)} ${f.example ?? ""}.`.replace(/ \.$/, ".");
}

export function missing(f: FlagDef, context: string): string {
  return `${flagText(f)} is required ${context}: ${f.expect ?? "a value"}, e.g. ${flagText(f)} ${f.example ?? ""}.`;
}
