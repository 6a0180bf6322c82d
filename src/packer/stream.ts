/**
 * What `arv-image build` does with every byte of `packer build -machine-readable` output:
 * split it into whole lines, scrub secrets, keep each raw line for the log file, collect
 * artifacts and errors, and make the readable live view. Output is handed back per chunk
 * (`take()`), never per line: per-line writes were most of the cost of a long build's stream.
 *
 * Nearly all of a build's output is plain progress ("ts,target,ui,say|message,TEXT"), whose
 * view is TEXT unescaped. Runs of those lines are unescaped together (#block); every other
 * line goes through the plain definition (parseLine, humanize). A property test holds the
 * two paths equal, however the output is chunked.
 */
import type { Scrubber } from "./environment.js";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, parseLine, unescapeField } from "./machine-readable.js";
import { humanize } from "./live-view.js";
import { ArtifactCollector, ErrorCollector } from "./results.js";

/**
 * The start of a plain progress line, up to its TEXT: what parseLine accepts as a ui line
 * (a timestamp of 1 to 15 digits, any target) whose first data item is say or message.
 * Sticky, to test it at a line's start inside a block without slicing the line out first.
 */
const PROGRESS_PREFIX = /\d{1,15},[^,\n]*,ui,(?:say|message),/y;

// The view is encoded into buffers of this size (or larger, for a larger block).
const VIEW_BUFFER_BYTES = 1024 * 1024;

/** Nothing to give back: no buffer is reused (see take()). */
const NOTHING_TO_RELEASE = (): void => {};

export class PackerStream {
  readonly artifacts = new ArtifactCollector();
  readonly errors = new ErrorCollector();
  readonly #scrub: (text: string) => string;
  readonly #color: boolean;
  readonly #out: LineSplitter;
  readonly #err: LineSplitter;
  // Bytes or text for the log, in order; strings are scrubbed lines.
  #log: (string | Buffer)[] = [];
  readonly #raw: boolean;
  // Raw stdout bytes after the last newline, held until their line ends.
  #tail: Buffer[] = [];
  #tailBytes = 0;
  // The live view since the last take(): bytes in #viewBytes from #viewStart to #viewEnd,
  // then text not yet encoded. The next view follows in the same buffer, so a buffer is
  // allocated per MiB of view, not per take (a view handed out is never written again).
  #viewBytes = Buffer.allocUnsafe(VIEW_BUFFER_BYTES);
  #viewStart = 0;
  #viewEnd = 0;
  #viewText = "";

  /**
   * `scrub`: what hides the build's secrets; without one (or with no secret in it) the log
   * gets Packer's bytes exactly as they came.
   */
  constructor(opts: { scrub?: Scrubber | undefined; color: boolean }) {
    this.#scrub = opts.scrub ?? ((t) => t);
    this.#raw = (opts.scrub?.secretBytes ?? []).length === 0;
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
   * be written with one writev, not copied together), the view as one buffer, never written
   * to again. `release` does nothing (no buffer is reused); callers may still say when the
   * view is written.
   */
  take(): { log: Buffer[]; view: Buffer; release: () => void } {
    const log = this.#log.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p));
    this.#encodeView();
    const view = this.#viewBytes.subarray(this.#viewStart, this.#viewEnd);
    this.#viewStart = this.#viewEnd;
    this.#log = [];
    return { log, view, release: NOTHING_TO_RELEASE };
  }

  #line(rawLine: string, fromStdout: boolean): void {
    this.#scrubbed(this.#scrub(rawLine), !(this.#raw && fromStdout));
  }

  /** One scrubbed line by the plain definition: log it, collect results, show its view. */
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
   * newline (excluded), decoded and scrubbed together. The TEXT of consecutive plain progress
   * lines is collected and unescaped in one call: the escapes ("%!(PACKER_COMMA)", backslash-n,
   * backslash-r) hold no newline, so unescaping lines joined by newlines is unescaping each.
   * Any other line, and every line when colour styles the view per kind, goes by #scrubbed.
   */
  #block(bytes: Buffer, fromStdout: boolean): void {
    const block = this.#scrub(bytes.toString("utf8"));
    const log = !(this.#raw && fromStdout);
    if (log) this.#log.push(block + "\n");
    let progress = "";
    for (let start = 0; start <= block.length; ) {
      let end = block.indexOf("\n", start);
      if (end === -1) end = block.length;
      PROGRESS_PREFIX.lastIndex = start;
      if (!this.#color && PROGRESS_PREFIX.test(block)) {
        // parseLine drops a CR at the end of a line (from a CRLF transport).
        progress += block.slice(PROGRESS_PREFIX.lastIndex, block.charCodeAt(end - 1) === 0x0d ? end - 1 : end) + "\n";
      } else {
        this.#viewText += unescapeField(progress);
        progress = "";
        this.#scrubbed(block.slice(start, end), false);
      }
      start = end + 1;
    }
    this.#viewText += unescapeField(progress);
    this.#encodeView();
  }

  /** Moves the view's text into #viewBytes. */
  #encodeView(): void {
    if (this.#viewText === "") return;
    const bytes = Buffer.byteLength(this.#viewText, "utf8");
    if (this.#viewEnd + bytes > this.#viewBytes.length) {
      // A new buffer, starting with the view not yet taken.
      const next = Buffer.allocUnsafe(Math.max(VIEW_BUFFER_BYTES, 2 * (this.#viewEnd - this.#viewStart + bytes)));
      this.#viewEnd = this.#viewBytes.copy(next, 0, this.#viewStart, this.#viewEnd);
      this.#viewBytes = next;
      this.#viewStart = 0;
    }
    this.#viewEnd += this.#viewBytes.write(this.#viewText, this.#viewEnd, "utf8");
    this.#viewText = "";
  }
}
