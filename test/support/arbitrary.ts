/** fast-check generators for the text that tries hardest to break escaping. */
import fc from "fast-check";

const NASTY = [
  '"', "\\", "${", "%{", "$${", "%%{", "$", "%", "{", "}", "\n", "\r\n", "\r", "\t", "$(id)", "`id`", "'", "''",
  "é", "😀", "\u0001", "\u007f", "\u0085", "*", "?", " ", "~", "#", ";", "&", "|", "<", ">", "!", "\u2028", "\ufeff", "\\n", "%!(PACKER_COMMA)",
];

/** Non-empty, well-formed, NFC text: what arv-image's free-text flags accept. */
export const freeText = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "grapheme", maxLength: 4 })), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.join("").normalize("NFC"))
  .filter((s) => s.length > 0);

/** A file name (one path component) built from the same material. */
export const fileName = freeText
  .map((s) => s.replace(/[/\0]/g, "_").replace(/^\.+$/, "dot"))
  .filter((s) => Buffer.byteLength(s) < 200 && s !== "." && s !== "..");
