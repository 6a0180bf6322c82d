/**
 * The only two ways a value reaches a rendered file: as an HCL2 literal or as a
 * single-quoted shell word. Both are total over the strings arv-image accepts
 * (any Unicode text without NUL or lone surrogates) and round-trip exactly.
 */

export type HclValue = string | number | boolean | readonly HclValue[] | { readonly [k: string]: HclValue };

/**
 * A quoted HCL2 string literal whose value is exactly `s`. HCL2 normalizes every
 * string to Unicode NFC (escapes included), so only NFC text can round-trip; config
 * validation refuses anything else before it gets here.
 */
export function hclString(s: string): string {
  assertText(s);
  if (s.normalize("NFC") !== s) throw new TypeError("value is not in Unicode NFC form, which HCL2 would silently change");
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const next = s[i + 1];
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      case "$":
      case "%":
        // "${" and "%{" open HCL template sequences; doubling the sigil makes them literal.
        out += next === "{" ? ch + ch : ch;
        break;
      default: {
        const code = ch.charCodeAt(0);
        // C0, DEL, C1 and the line/paragraph separators never appear raw in a rendered file.
        out += code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 ? `\\u${code.toString(16).padStart(4, "0")}` : ch;
      }
    }
  }
  return out + '"';
}

/** An HCL2 expression for a string, number, bool, list or object (keys quoted when needed). */
export function hcl(value: HclValue): string {
  if (typeof value === "string") return hclString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`hcl: not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((v: HclValue) => hcl(v)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, HclValue>);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : hclString(k)} = ${hcl(v)}`).join(", ")} }`;
}

/** A single-quoted POSIX shell word whose value is exactly `s`. */
export function sh(value: string | number | boolean): string {
  const s = String(value);
  assertText(s);
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function assertText(s: string): void {
  if (s.includes("\0")) throw new TypeError("value contains a NUL character, which no file format here can carry");
  if (!s.isWellFormed()) throw new TypeError("value contains a lone UTF-16 surrogate");
}
