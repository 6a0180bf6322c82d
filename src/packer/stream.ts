/**
 * What `arv-image build` does with every byte of `packer build -machine-readable` output, in
 * one pass: split it into whole lines, scrub them, parse each line once, and hand it to the
 * log, the results (artifacts, errors) and the live view (build-view.ts, which keeps the
 * phases). The log is handed back per batch (`takeLog()`), never per line: per-line writes
 * were most of the cost of a long build's stream.
 *
 * Each chunk's whole lines are decoded (and scrubbed) together, then split: one native call
 * per chunk rather than one per line. Without a secret to scrub, the log gets Packer's bytes
 * exactly as they came. A property test holds all this to the plain definition (split into
 * lines, scrub, log, parse, collect, view, one line at a time), however the output is chunked.
 */
import type { Scrubber } from "./environment.js";
import { DEFAULT_MAX_LINE_BYTES, parseLine, type PackerLine, utf8Cut } from "./machine-readable.js";
import { ArtifactCollector, ErrorCollector } from "./results.js";

/** Where each line goes after the log and the results: the live view. */
export interface LineSink {
  /** One whole line (scrubbed, without its newline) and what parseLine made of it. */
  line(raw: string, parsed: PackerLine | undefined): void;
}

/** The bytes of one output stream after its last newline, held until their line ends. */
interface Held {
  pieces: Buffer[];
  bytes: number;
}

const NEWLINE = Buffer.from("\n");

export class PackerStream {
  readonly artifacts = new ArtifactCollector();
  readonly errors = new ErrorCollector();
  readonly #scrub: ((text: string) => string) | undefined;
  readonly #view: LineSink;
  readonly #maxLineBytes: number;
  readonly #out: Held = { pieces: [], bytes: 0 };
  readonly #err: Held = { pieces: [], bytes: 0 };
  // The log since the last takeLog(), in order: Packer's bytes, or scrubbed text.
  #log: (string | Buffer)[] = [];

  /**
   * `scrub`: what hides the build's secrets (none: nothing is scrubbed). `view`: gets every
   * line, in order. A line longer than `maxLineBytes` is handed on in pieces (see #hold).
   */
  constructor(o: { scrub?: Scrubber | undefined; view: LineSink; maxLineBytes?: number }) {
    this.#scrub = o.scrub !== undefined && o.scrub.secretBytes.length > 0 ? o.scrub : undefined;
    this.#view = o.view;
    this.#maxLineBytes = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  stdout(chunk: Buffer): void {
    this.#push(this.#out, chunk);
  }

  stderr(chunk: Buffer): void {
    this.#push(this.#err, chunk);
  }

  /** At the end: the last line of each stream, if it had no newline. */
  end(): void {
    for (const held of [this.#out, this.#err]) if (held.bytes > 0) this.#endHeld(held);
  }

  /** The log since the last call, as pieces in order (to be written with one writev, not copied together). */
  takeLog(): Buffer[] {
    const log = this.#log.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p));
    this.#log = [];
    return log;
  }

  #push(held: Held, chunk: Buffer): void {
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      this.#hold(held, chunk);
      return;
    }
    let start = 0;
    if (held.bytes > 0) {
      // The rest of the held line (which may make it too long, see #hold), and that line.
      start = chunk.indexOf(0x0a) + 1;
      this.#hold(held, chunk.subarray(0, start - 1));
      this.#endHeld(held);
    }
    // The chunk's other whole lines, as they came: a line from stderr never lands inside one from stdout.
    if (start <= last) this.#lines(chunk.subarray(start, last + 1));
    if (last + 1 < chunk.length) this.#hold(held, chunk.subarray(last + 1));
  }

  #endHeld(held: Held): void {
    const line = Buffer.concat([...held.pieces, NEWLINE]);
    held.pieces = [];
    held.bytes = 0;
    this.#lines(line);
  }

  /**
   * Whole lines, each ending with a newline, decoded and scrubbed together, then taken one by
   * one. Scrubbing lines together hides every secret that scrubbing each would hide, and a
   * secret with a newline in it as well.
   */
  #lines(bytes: Buffer): void {
    let text = bytes.toString("utf8");
    if (this.#scrub) {
      text = this.#scrub(text);
      this.#log.push(text);
    } else this.#log.push(bytes);
    for (let from = 0; from < text.length;) {
      const nl = text.indexOf("\n", from);
      this.#line(text.slice(from, nl));
      from = nl + 1;
    }
  }

  /** One whole line: parsed once, collected, shown. */
  #line(raw: string): void {
    const parsed = parseLine(raw);
    if (parsed !== undefined) {
      this.artifacts.add(parsed);
      this.errors.add(parsed);
    }
    this.#view.line(raw, parsed);
  }

  /**
   * Bytes after the last newline wait for the rest of their line, copied (a view would pin
   * Packer's whole chunk). Memory stays bounded: a line longer than maxLineBytes is handed
   * on in pieces, each cut on a character boundary, each a line of the view (and of the log
   * when it is scrubbed; unscrubbed, the log keeps Packer's bytes as they came).
   */
  #hold(held: Held, bytes: Buffer): void {
    if (bytes.length === 0) return;
    held.pieces.push(Buffer.from(bytes));
    held.bytes += bytes.length;
    while (held.bytes > this.#maxLineBytes) {
      const all = Buffer.concat(held.pieces, held.bytes);
      const cut = utf8Cut(all, this.#maxLineBytes);
      const piece = all.toString("utf8", 0, cut);
      const line = this.#scrub ? this.#scrub(piece) : piece;
      this.#log.push(this.#scrub ? line + "\n" : all.subarray(0, cut));
      this.#line(line);
      held.pieces = cut < all.length ? [all.subarray(cut)] : [];
      held.bytes = all.length - cut;
    }
  }
}
