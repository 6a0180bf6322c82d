/**
 * What `arv-image build` does with every byte of `packer build -machine-readable` output:
 * split it into whole lines, scrub secrets, keep each raw line for the log file, collect
 * artifacts and errors, and make the readable live view. Output is handed back per chunk
 * (`take()`), never per line: per-line writes were most of the cost of a long build's stream.
 *
 * Nearly all of a build's output is plain progress ("ts,target,ui,say|message,TEXT"). Runs
 * of those are turned into the view as bytes, without decoding to text and encoding back
 * (scan.ts); every other line goes through the plain definition (parseLine, humanize). A
 * property test holds the two paths equal, however the output is chunked.
 */
import { isUtf8 } from "node:buffer";
import type { Scrubber } from "./environment.js";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, parseLine } from "./machine-readable.js";
import { humanize } from "./live-view.js";
import { ArtifactCollector, ErrorCollector } from "./results.js";
import { type PlainScanner, plainScanner } from "./scan.js";

const NEWLINE = Buffer.from("\n");
// The view is made in buffers ("slabs") of this size (or larger, for a larger block).
const VIEW_SLAB_BYTES = 1024 * 1024;
// Slabs whose every view has been written are kept for reuse, up to this many: writing into
// memory already mapped and cached, rather than a new megabyte each time, was a sixth of the
// streaming time in `npm run bench`.
const SPARE_SLABS = 2;

interface Slab {
  bytes: Buffer;
  /** Views handed out by take() and not released yet. */
  unreleased: number;
  /** No longer written to: reusable once every view of it is released. */
  retired: boolean;
}

export class PackerStream {
  readonly artifacts = new ArtifactCollector();
  readonly errors = new ErrorCollector();
  readonly #scrub: (text: string) => string;
  readonly #secrets: readonly Buffer[];
  readonly #color: boolean;
  readonly #scanner: PlainScanner;
  readonly #out: LineSplitter;
  readonly #err: LineSplitter;
  // Bytes or text for the log, in order; strings are scrubbed lines.
  #log: (string | Buffer)[] = [];
  readonly #raw: boolean;
  // Raw stdout bytes after the last newline, held until their line ends.
  #tail: Buffer[] = [];
  #tailBytes = 0;
  // The view since the last take(): bytes in #view[#viewStart, #viewLength), then text not
  // yet encoded. take() hands out that part of the slab and the next view follows it in the
  // same slab, so slabs are needed per MiB of view, not per take.
  #slab: Slab = { bytes: Buffer.allocUnsafe(VIEW_SLAB_BYTES), unreleased: 0, retired: false };
  #view = this.#slab.bytes;
  readonly #spare: Buffer[] = [];
  #viewStart = 0;
  #viewLength = 0;
  #viewText = "";

  /**
   * `scrub`: what hides the build's secrets; without one (or with no secret in it) the log
   * gets Packer's bytes exactly as they came. `scanner`: which fast path (tests run both).
   */
  constructor(opts: { scrub?: Scrubber | undefined; color: boolean; scanner?: PlainScanner }) {
    this.#scanner = opts.scanner ?? plainScanner();
    this.#scrub = opts.scrub ?? ((t) => t);
    this.#secrets = opts.scrub?.secretBytes ?? [];
    this.#raw = this.#secrets.length === 0;
    this.#color = opts.color;
    this.#out = new LineSplitter((l) => this.#line(l, true), undefined, (b) => this.#block(b, true));
    this.#err = new LineSplitter((l) => this.#line(l, false), undefined, (b) => this.#block(b, false));
  }

  stdout(chunk: Buffer): void {
    if (this.#raw) {
      // Whole lines only, so that a line from stderr never lands inside one from stdout.
      const last = chunk.lastIndexOf(0x0a);
      if (last === -1 && this.#tailBytes + chunk.length <= DEFAULT_MAX_LINE_BYTES) {
        this.#tail.push(Buffer.from(chunk));
        this.#tailBytes += chunk.length;
      } else {
        const cut = last === -1 ? chunk.length : last + 1;
        this.#log.push(...this.#tail, chunk.subarray(0, cut));
        this.#tail = cut < chunk.length ? [Buffer.from(chunk.subarray(cut))] : [];
        this.#tailBytes = chunk.length - cut;
      }
    }
    this.#out.push(chunk);
  }

  stderr(chunk: Buffer): void {
    this.#err.push(chunk);
  }

  /** At the end: the last lines that had no newline. */
  end(): void {
    if (this.#tailBytes > 0) this.#log.push(...this.#tail, "\n");
    this.#tail = [];
    this.#tailBytes = 0;
    this.#out.flush();
    this.#err.flush();
  }

  /**
   * The log and the live view gathered since the last call: the log as pieces in order (to
   * be written with one writev, not copied together), the view as one buffer, and
   * `release`, to call once the view has been written: its memory may then be reused for a
   * later view (until then it never is; without the call it is left to the garbage collector).
   */
  take(): { log: Buffer[]; view: Buffer; release: () => void } {
    const log = this.#log.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p));
    this.#endViewText();
    const view = this.#view.subarray(this.#viewStart, this.#viewLength);
    this.#log = [];
    this.#viewStart = this.#viewLength;
    if (view.length === 0) return { log, view, release: () => {} };
    const slab = this.#slab;
    slab.unreleased++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slab.unreleased--;
      this.#reuse(slab);
    };
    return { log, view, release };
  }

  #reuse(slab: Slab): void {
    if (slab.retired && slab.unreleased === 0 && slab.bytes.length === VIEW_SLAB_BYTES && this.#spare.length < SPARE_SLABS) this.#spare.push(slab.bytes);
  }

  /** Room for `bytes` more bytes of view; returns the buffer (it may be a new one). */
  #viewRoom(bytes: number): Buffer {
    if (this.#viewLength + bytes > this.#view.length) {
      // A new slab, starting with the part not yet taken; the old one stays with its takers.
      const pending = this.#viewLength - this.#viewStart;
      const size = Math.max(VIEW_SLAB_BYTES, 2 * (pending + bytes));
      const next = (size === VIEW_SLAB_BYTES ? this.#spare.pop() : undefined) ?? Buffer.allocUnsafe(size);
      this.#view.copy(next, 0, this.#viewStart, this.#viewLength);
      const old = this.#slab;
      old.retired = true;
      this.#reuse(old);
      this.#slab = { bytes: next, unreleased: 0, retired: false };
      this.#view = next;
      this.#viewStart = 0;
      this.#viewLength = pending;
    }
    return this.#view;
  }

  #endViewText(): void {
    if (this.#viewText === "") return;
    const bytes = Buffer.byteLength(this.#viewText, "utf8");
    this.#viewLength += this.#viewRoom(bytes).write(this.#viewText, this.#viewLength, "utf8");
    this.#viewText = "";
  }

  #line(rawLine: string, fromStdout: boolean): void {
    this.#scrubbed(this.#scrub(rawLine), !(this.#raw && fromStdout));
  }

  #scrubbed(line: string, log: boolean): void {
    if (log) this.#log.push(line + "\n");
    const parsed = parseLine(line);
    if (!parsed) {
      this.#viewText += line + "\n";
      return;
    }
    this.artifacts.add(parsed);
    this.errors.add(parsed);
    const text = humanize(parsed, { color: this.#color });
    if (text !== undefined) this.#viewText += text + "\n";
  }

  /**
   * Several whole lines at once: the bytes from the first line's start to the last one's
   * newline (excluded). Plain progress lines become view bytes directly, others go line by
   * line. Bytes that are not UTF-8, a secret among them, or colour (per-kind styling) take
   * the text path for the whole block.
   */
  #block(bytes: Buffer, fromStdout: boolean): void {
    const log = !(this.#raw && fromStdout);
    if (this.#color || !isUtf8(bytes) || this.#secrets.some((s) => bytes.includes(s))) {
      const block = this.#scrub(bytes.toString("utf8"));
      let from = 0;
      for (let nl = block.indexOf("\n"); nl !== -1; nl = block.indexOf("\n", from)) {
        this.#scrubbed(block.slice(from, nl), log);
        from = nl + 1;
      }
      this.#scrubbed(block.slice(from), log);
      return;
    }
    // Valid UTF-8 without a secret: its bytes are what decoding, scrubbing and encoding give.
    if (log) this.#log.push(bytes, NEWLINE);
    this.#endViewText();
    for (let pos = 0; pos <= bytes.length; ) {
      // A plain line's view is never longer than the line (prefix gone, escapes shorter).
      this.#viewLength = this.#scanner.scan(bytes, pos, this.#viewRoom(bytes.length + 1 - pos), this.#viewLength);
      const stop = this.#scanner.stop;
      if (stop === -1) break;
      // One line that is not plain progress: the plain definition, in order with the rest.
      let end = bytes.indexOf(0x0a, stop);
      if (end === -1) end = bytes.length;
      this.#scrubbed(bytes.toString("utf8", stop, end), false);
      this.#endViewText();
      pos = end + 1;
    }
  }
}
