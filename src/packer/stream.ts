/**
 * What `arv-image build` does with every byte of `packer build -machine-readable` output:
 * split it into whole lines, scrub secrets, keep each raw line for the log file, collect
 * artifacts and errors, and make the readable live view. Output is handed back per chunk
 * (`take()`), never per line: per-line writes were most of the cost of a long build's stream.
 */
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, PACKER_COMMA, parseLine } from "./machine-readable.js";
import { humanize } from "./live-view.js";
import { ArtifactCollector, ErrorCollector } from "./results.js";

// A line the live view shows as Packer's text and nothing else: "ts,target,ui,say|message,TEXT".
const PLAIN_PREFIX = /^\d{1,15},[^,\n]*,ui,(?:say|message),/gm;
// A block made only of such lines, none with a CR (one anchored match: faster than looking for the odd one out).
const ALL_PLAIN = /^(?:\d{1,15},[^,\n]*,ui,(?:say|message),[^\n\r]*\n)*\d{1,15},[^,\n]*,ui,(?:say|message),[^\n\r]*$/;
const NEWLINE_ESCAPES = /\\n|\\r/g;

export class PackerStream {
  readonly artifacts = new ArtifactCollector();
  readonly errors = new ErrorCollector();
  readonly #scrub: (text: string) => string;
  readonly #color: boolean;
  readonly #out: LineSplitter;
  readonly #err: LineSplitter;
  // Text or bytes for the log, in order; strings are scrubbed lines.
  #log: (string | Buffer)[] = [];
  readonly #raw: boolean;
  // Raw stdout bytes after the last newline, held until their line ends.
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #view = "";

  /**
   * `scrub`: undefined when there is no secret to hide; then the log gets Packer's bytes
   * exactly as they came (no decoding and re-encoding of every line).
   */
  constructor(opts: { scrub: ((text: string) => string) | undefined; color: boolean }) {
    this.#scrub = opts.scrub ?? ((t) => t);
    this.#raw = opts.scrub === undefined;
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

  /** The log text and the live-view text gathered since the last call. */
  take(): { log: Buffer; view: string } {
    const log = Buffer.concat(this.#log.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
    const r = { log, view: this.#view };
    this.#log = [];
    this.#view = "";
    return r;
  }

  #line(rawLine: string, fromStdout: boolean): void {
    this.#scrubbed(this.#scrub(rawLine), !(this.#raw && fromStdout));
  }

  #scrubbed(line: string, log: boolean): void {
    if (log) this.#log.push(line + "\n");
    const parsed = parseLine(line);
    if (!parsed) {
      this.#view += line + "\n";
      return;
    }
    this.artifacts.add(parsed);
    this.errors.add(parsed);
    const text = humanize(parsed, { color: this.#color });
    if (text !== undefined) this.#view += text + "\n";
  }

  /**
   * Several whole lines at once (joined by "\n"). When every one is a plain say/message
   * line, which is nearly all of a build's output, the view is made for the whole block
   * with two native passes; the result is the same as line by line (a property test holds
   * the two paths equal).
   */
  #block(rawBlock: string, fromStdout: boolean): void {
    const block = this.#scrub(rawBlock);
    const log = !(this.#raw && fromStdout);
    if (this.#color || !allPlain(block)) {
      let from = 0;
      for (let nl = block.indexOf("\n"); nl !== -1; nl = block.indexOf("\n", from)) {
        this.#scrubbed(block.slice(from, nl), log);
        from = nl + 1;
      }
      this.#scrubbed(block.slice(from), log);
      return;
    }
    if (log) this.#log.push(block + "\n");
    // Packer's escapes, as unescapeField undoes them: "%!(PACKER_COMMA)" cannot overlap a
    // backslash escape, so the two passes give the same text as one.
    let text = block.replace(PLAIN_PREFIX, "").replaceAll(PACKER_COMMA, ",");
    if (text.includes("\\")) text = text.replace(NEWLINE_ESCAPES, (m) => (m === "\\n" ? "\n" : "\r"));
    this.#view += text + "\n";
  }
}

function allPlain(block: string): boolean {
  try {
    return ALL_PLAIN.test(block);
  } catch {
    return false; // a block too large for the regular expression engine's stack: go line by line
  }
}
