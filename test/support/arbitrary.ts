/** fast-check generators for the text that tries hardest to break escaping. */
import fc from "fast-check";

const NASTY = [
  '"',
  "\\",
  "${",
  "%{",
  "$${",
  "%%{",
  "$",
  "%",
  "{",
  "}",
  "\n",
  "\r\n",
  "\r",
  "\t",
  "$(id)",
  "`id`",
  "'",
  "''",
  "é",
  "😀",
  "\u0001",
  "\u007f",
  "\u0085",
  "*",
  "?",
  " ",
  "~",
  "#",
  ";",
  "&",
  "|",
  "<",
  ">",
  "!",
  "\u2028",
  "\ufeff",
  "\\n",
  "%!(PACKER_COMMA)",
];

/** Non-empty, well-formed, NFC text: what arv-image's free-text flags accept. */
export const freeText = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "grapheme", maxLength: 4 })), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.join("").normalize("NFC"))
  .filter((s) => s.length > 0);

/** A file name (one path component) built from the same material. */
export const fileName = freeText.map((s) => s.replace(/[/\0]/g, "_").replace(/^\.+$/, "dot")).filter((s) => Buffer.byteLength(s) < 200 && s !== "." && s !== "..");

/** Control characters arv-image refuses in every value (C0, DEL, C1, line/paragraph separators, bidi overrides). */
export const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** What a free-text flag accepts: freeText without control characters, nor "{{" (which Packer would evaluate as a template). */
export const acceptedText = freeText
  .map((s) => s.replace(new RegExp(CONTROL_CHAR.source, "g"), "").replaceAll("{{", "{"))
  .filter((s) => s.length > 0 && s.normalize("NFC") === s && !s.includes("{{"));
export const acceptedFileName = fileName.map((s) => s.replace(new RegExp(CONTROL_CHAR.source, "g"), "_").replaceAll("{{", "{")).filter((s) => !s.includes("{{"));
/** Text with at least one control character in it. */
export const withControl = fc
  .tuple(freeText, fc.constantFrom("\n", "\r", "\t", "\u0000", "\u001b[31m", "\u001b]0;x\u0007", "\u007f", "\u0085", "\u009b", "\u2028", "\u202e", "\r\n"), freeText)
  .map(([a, c, b]) => a + c + b);
