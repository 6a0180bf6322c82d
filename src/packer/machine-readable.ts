/**
 * Packer's `-machine-readable` output: one record per line, `timestamp,target,type,data...`.
 * Packer (packer/ui.go `MachineReadableUi.Machine`, 1.6.6 through 1.1x) escapes each data
 * item so that a record never spans lines: "," → "%!(PACKER_COMMA)", CR → "\r", LF → "\n"
 * (backslash + letter). A literal backslash-n already in the text is written unchanged, so
 * it reads back as a newline: that ambiguity is Packer's and cannot be undone here.
 */

/** One line of `packer -machine-readable`: "timestamp,target,type,data..." */
export interface PackerLine {
  /** Unix seconds (UTC) when Packer printed the line. */
  timestamp: number;
  /** Build name ("arvados-compute.amazon-ebs.compute") for artifact and error lines; "" for ui lines. */
  target: string;
  type: string;
  /** The data items, unescaped. */
  data: string[];
  /** The line exactly as given to parseLine. */
  raw: string;
}

export const PACKER_COMMA = "%!(PACKER_COMMA)";

// Packer 1.6.6 and later print whole seconds; a type is a word such as "ui", "artifact-count".
const TYPE = /^[A-Za-z0-9_-]+$/;

/**
 * Packer's escaping: "%!(PACKER_COMMA)" -> ",", a literal backslash-n "\\n" -> newline, "\\r" -> CR.
 * Works on many lines joined by newlines as on each alone (no escape holds a newline).
 */
export function unescapeField(field: string): string {
  // One pass per escape gives what one left-to-right pass over all three would: no two
  // escapes can overlap, and no replacement ("," LF CR) can be part of a later escape.
  // Commas by hand: most lines of a long build's output have one, and slicing around it
  // costs half of what replaceAll does.
  let text = field;
  let comma = text.indexOf(PACKER_COMMA);
  if (comma !== -1) {
    let out = "";
    let from = 0;
    do {
      out += text.slice(from, comma) + ",";
      from = comma + PACKER_COMMA.length;
      comma = text.indexOf(PACKER_COMMA, from);
    } while (comma !== -1);
    text = out + text.slice(from);
  }
  if (text.includes("\\")) text = text.replaceAll("\\n", "\n").replaceAll("\\r", "\r");
  return text;
}

/** The inverse of unescapeField, as Packer writes a data item (used by tests and fixtures). */
export function escapeField(text: string): string {
  return text.replaceAll(",", PACKER_COMMA).replaceAll("\r", "\\r").replaceAll("\n", "\\n");
}

/**
 * Parse one whole line (without its newline). Returns undefined for a line that is not
 * machine-readable (it must be kept, not dropped, by the caller). Data fields are unescaped.
 */
export function parseLine(raw: string): PackerLine | undefined {
  // Packer escapes CR inside data, so a raw trailing CR can only come from a CRLF transport.
  const line = raw.charCodeAt(raw.length - 1) === 0x0d ? raw.slice(0, -1) : raw;
  // By hand rather than one regular expression: this runs for every line of a long build.
  const c1 = line.indexOf(",");
  if (c1 < 1 || c1 > 15) return undefined;
  let timestamp = 0;
  for (let i = 0; i < c1; i++) {
    const ch = line.charCodeAt(i);
    if (ch < 48 || ch > 57) return undefined;
    timestamp = timestamp * 10 + ch - 48; // exact: 15 digits are below 2^53
  }
  const c2 = line.indexOf(",", c1 + 1);
  if (c2 === -1) return undefined;
  // Nearly every line of a long build is a ui line: its type is known without a slice and a test.
  let type = "ui";
  let c3 = c2 + 3;
  if (!line.startsWith("ui,", c2 + 1)) {
    c3 = line.indexOf(",", c2 + 1);
    if (c3 === -1) c3 = line.length;
    type = line.slice(c2 + 1, c3);
    if (!TYPE.test(type)) return undefined;
  }
  // Raw newlines never occur inside a record; a line holding one was split wrongly upstream.
  if (line.includes("\n")) return undefined;
  return {
    timestamp,
    target: c2 === c1 + 1 ? "" : line.slice(c1 + 1, c2),
    type,
    // Packer always writes the comma after the type, so "ts,,version-prelease," has one empty item.
    data: c3 === line.length ? [] : items(line, c3 + 1),
    raw,
  };
}

/** The data items from `from` on, unescaped; one or two (a ui line: kind and text) without a split. */
function items(line: string, from: number): string[] {
  const comma = line.indexOf(",", from);
  if (comma === -1) return [unescapeField(line.slice(from))];
  if (line.indexOf(",", comma + 1) === -1) return [unescapeField(line.slice(from, comma)), unescapeField(line.slice(comma + 1))];
  return line.slice(from).split(",").map(unescapeField);
}

/**
 * Where to cut `bytes` into a piece of at most `max` bytes without splitting a UTF-8
 * character: `max` moved back to the first byte of a character (`bytes` holds more than max).
 */
export function utf8Cut(bytes: Buffer, max: number): number {
  let cut = max;
  // Continuation bytes are 10xxxxxx.
  while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  return cut === 0 ? max : cut; // not UTF-8 at all: cut anywhere
}

/** Called for each line; `whole` is false for the pieces of a line longer than maxLineBytes. */
export type OnLine = (line: string, whole: boolean) => void;

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * A line splitter for a byte stream: feed chunks (Buffer|string), get whole lines (without
 * "\n"; a CR before it is kept, parseLine ignores it); flush() returns the last partial line.
 * Bytes are split on "\n" before decoding, so a UTF-8 character split across chunks is never
 * corrupted. Never buffers more than one line plus one chunk; a single line over
 * maxLineBytes (default 1 MiB) is emitted in pieces, each cut on a character boundary,
 * rather than growing memory without bound.
 */
export class LineSplitter {
  readonly #onLine: OnLine;
  readonly #max: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #highWater = 0;
  /** The line being buffered has already been emitted in part. */
  #oversized = false;

  constructor(onLine: OnLine, maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {
    // 4 bytes is the longest UTF-8 character; a smaller piece could not always hold one.
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 4) throw new RangeError(`maxLineBytes must be an integer >= 4, got ${maxLineBytes}`);
    this.#onLine = onLine;
    this.#max = maxLineBytes;
  }

  /** Bytes held now, waiting for the end of their line. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  /** The most bytes ever held at once (for tests and diagnostics: memory is bounded by this). */
  get maxBufferedBytes(): number {
    return this.#highWater;
  }

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let start = 0;
    const first = buf.indexOf(0x0a);
    if (first !== -1 && this.#pendingBytes > 0) {
      // The end of the line held from earlier chunks.
      this.#append(buf.subarray(0, first));
      this.#endLine();
      start = first + 1;
    }
    const last = buf.lastIndexOf(0x0a);
    if (last >= start && last - start <= this.#max) {
      // The common case: whole lines, none of them oversized. Decode them in one go (a
      // newline byte never sits inside a UTF-8 character) and split the text: one native
      // call per chunk instead of one per line.
      const text = buf.toString("utf8", start, last);
      let from = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
        this.#onLine(text.slice(from, nl), true);
        from = nl + 1;
      }
      this.#onLine(text.slice(from), true);
      start = last + 1;
    } else {
      for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
        this.#append(buf.subarray(start, nl));
        this.#endLine();
        start = nl + 1;
      }
    }
    if (start < buf.length) {
      // Copy the tail: keeping a view would pin the caller's whole chunk (often a pooled slab).
      this.#append(Buffer.from(buf.subarray(start)));
    }
  }

  flush(): void {
    if (this.#pendingBytes > 0) this.#endLine();
    this.#oversized = false;
  }

  #append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#highWater = Math.max(this.#highWater, this.#pendingBytes);
    if (this.#pendingBytes <= this.#max) return;
    let all = Buffer.concat(this.#pending, this.#pendingBytes);
    // Strictly more than max: the byte after the cut must be known to tell whether the cut
    // would split a character; with exactly max bytes, wait for the next one.
    while (all.length > this.#max) {
      const cut = utf8Cut(all, this.#max);
      this.#oversized = true;
      this.#onLine(all.subarray(0, cut).toString("utf8"), false);
      all = all.subarray(cut);
    }
    this.#pending = all.length > 0 ? [Buffer.from(all)] : [];
    this.#pendingBytes = all.length;
  }

  #endLine(): void {
    const line = Buffer.concat(this.#pending, this.#pendingBytes).toString("utf8");
    const whole = !this.#oversized;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#oversized = false;
    // An oversized line that ended exactly where a piece was cut has no last piece to emit.
    if (whole || line.length > 0) this.#onLine(line, whole);
  }
}
