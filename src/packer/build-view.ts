/**
 * The live view of a `packer build -machine-readable` run, made from its parsed (and
 * scrubbed) lines, in one of three forms:
 * - "tty": Packer's lines scroll (the build-name prefix dropped while there is one build,
 *   phase changes marked, warnings and errors coloured when colour is on) above a status
 *   line that build-run.ts redraws in place (statusLine());
 * - "plain" (a pipe, CI): the same lines, each stamped with the time since Packer's first
 *   line (from Packer's own timestamps), no control sequence at all;
 * - "json": one event per line (events.ts).
 * Phases and scripts come from phases.ts; every line feeds it, shown or not. Lines come from
 * stream.ts, split, scrubbed and parsed once.
 */
import { type EventLog, type LogLevel, shown } from "../events.js";
import type { PackerLine } from "./machine-readable.js";
import { viewOf, type ViewKind } from "./live-view.js";
import { clockStamp, formatBreakdown, shortDuration } from "./breakdown.js";
import { PHASE_LABEL, type PhaseChange, PhaseTracker, splitPrefix, type Timing } from "./phases.js";

export type ViewMode = "tty" | "plain" | "json";

// The view is encoded into buffers of this size (or larger, for more text at once).
const VIEW_BUFFER_BYTES = 1024 * 1024;

export interface BuildViewOptions {
  mode: ViewMode;
  /** Colour (tty only; the caller checked NO_COLOR). */
  color?: boolean;
  /** The build directory's provisioning scripts, for n/m. */
  scripts?: readonly string[];
  /** json: the event serializer. */
  events?: EventLog | undefined;
  level?: LogLevel | undefined;
}

const SGR = {
  bold: ["\x1b[1m", "\x1b[22m"],
  dim: ["\x1b[2m", "\x1b[22m"],
  red: ["\x1b[1;31m", "\x1b[22;39m"],
  yellow: ["\x1b[33m", "\x1b[39m"],
  cyan: ["\x1b[36m", "\x1b[39m"],
} as const;

/** Packer's lines that report a failed build (as opposed to what a script wrote on stderr). */
const FAILURE = /^(Build '[^']+' errored|\n?==> Some builds didn't complete|--> [^\s:]+: )/;

export class BuildView {
  readonly tracker: PhaseTracker;
  readonly #o: BuildViewOptions;
  readonly #scripts: readonly string[];
  // The view since the last take(): bytes in #bytes from #start to #end, then text not yet
  // encoded. The next view follows in the same buffer, so a buffer is allocated per MiB of
  // view, not per take, and a view handed out is never written again.
  #bytes = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #text = "";
  #lines = 0;
  /** Wall-clock ms when each build entered its current phase (for the ticking status line). */
  readonly #phaseWall = new Map<string, number>();
  #stampFor = -1;
  #stampText = "";

  constructor(o: BuildViewOptions) {
    this.#o = o;
    this.#scripts = o.scripts ?? [];
    this.tracker = new PhaseTracker(this.#scripts);
  }

  get mode(): ViewMode {
    return this.#o.mode;
  }

  /** One whole line of Packer's output (stdout or stderr), already scrubbed, and what parseLine made of it. */
  line(raw: string, parsed: PackerLine | undefined): void {
    if (!parsed) {
      // Not machine-readable (a plugin's stray output, Packer's stderr): shown as it is.
      this.#emit("info", raw, { type: "packer-text" }, raw, "other");
      return;
    }
    const change = this.tracker.add(parsed);
    if (change) this.#phase(change);
    const v = viewOf(parsed);
    if (v === undefined) {
      if (parsed.type === "artifact" || parsed.type === "error")
        this.#json("debug", { type: "packer", packerType: parsed.type, target: parsed.target, data: parsed.data, packerTime: parsed.timestamp }, parsed.type);
      return;
    }
    const level: LogLevel = parsed.type === "ui" && v.kind === "error" ? (FAILURE.test(v.text) || /^Build '/.test(v.text) ? "error" : "warn") : "info";
    const p = splitPrefix(v.text);
    if (this.#o.mode === "json") {
      this.#json(level, { type: "packer", kind: v.kind, ...(p ? { build: p.build } : {}), packerTime: parsed.timestamp }, p ? p.rest : v.text);
      return;
    }
    const text = p && this.tracker.buildCount <= 1 ? p.lead + p.rest : v.text;
    this.#emit(level, text, undefined, "", v.kind, parsed);
  }

  /** arv-image's own message during the run (an interrupt, lines left out): one or more lines. */
  say(text: string, level: LogLevel = "info"): void {
    for (const l of text.replace(/^\n+|\n+$/g, "").split("\n")) this.#emit(level, l, { type: "message" }, l.replace(/^arv-image: /, ""), "output");
  }

  /** What say() would add, without adding it (for a notice that goes before the lines made already). */
  render(text: string, level: LogLevel = "info"): string {
    // arv-image's own lines look the same whatever Packer said before: a fresh view makes them.
    const v = new BuildView(this.#o);
    v.say(text, level);
    return v.take().text;
  }

  /** The lines made since the last call (whole lines, UTF-8), and how many; `text` decodes them (for tests). */
  take(): { bytes: Buffer; lines: number; readonly text: string } {
    if (this.#text !== "") this.#encode();
    const bytes = this.#bytes.subarray(this.#start, this.#end);
    this.#start = this.#end;
    const r = {
      bytes,
      lines: this.#lines,
      get text() {
        return bytes.toString("utf8");
      },
    };
    this.#lines = 0;
    return r;
  }

  /** Packer exited: ends the open phases and returns where the time went. */
  finish(): Timing[] {
    this.tracker.finish();
    const timings = this.tracker.timings();
    const lines = formatBreakdown(timings, this.#scripts);
    if (this.#o.mode === "json") {
      this.#json("info", { type: "timings", timings }, lines[0] ?? "where the time went");
    } else if (shown("info", this.#o.level)) {
      for (const [i, l] of lines.entries()) this.#add(i === 0 ? `arv-image: ${l}` : `  ${l}`);
    }
    return timings;
  }

  /** The breakdown as text, for the log file. */
  breakdown(timings: readonly Timing[]): string {
    return formatBreakdown(timings, this.#scripts)
      .map((l, i) => (i === 0 ? `arv-image: ${l}\n` : `  ${l}\n`))
      .join("");
  }

  /**
   * The status line for a terminal, at most `columns - 3` characters (a full-width line
   * would wrap and a redraw would no longer land on it); "" before Packer said anything.
   * `bakeSeconds`: time since arv-image started.
   */
  statusLine(now: number, bakeSeconds: number, columns: number): string {
    const builds = this.tracker.status().filter((b) => b.phase !== undefined);
    if (builds.length === 0) return "";
    const single = builds.length === 1;
    const parts = builds.map((b) => {
      const phase = b.ended ? "done" : PHASE_LABEL[b.phase ?? "launching"];
      const s = b.script;
      const script = s ? ` ${s.n !== undefined && s.m !== undefined ? `${s.n}/${s.m} ` : s.n !== undefined ? `${s.n} ` : ""}${s.name}` : "";
      const since = this.#phaseWall.get(b.build);
      const inPhase = !b.ended && since !== undefined ? ` (${shortDuration((now - since) / 1000)})` : "";
      return `${single ? "" : `${b.build}: `}${phase}${script}${inPhase}`;
    });
    const line = `▶ ${parts.join(" · ")} · ${shortDuration(bakeSeconds)} in all`;
    // Two columns spare too: the terminal echoes Ctrl-C as "^C" after it, which must not
    // wrap onto a line the next redraw does not erase.
    const max = Math.max(10, columns - 3);
    const chars = [...line];
    const fitted = chars.length > max ? chars.slice(0, max - 1).join("") + "…" : line;
    return this.#o.color === true ? `${SGR.cyan[0]}${fitted}${SGR.cyan[1]}` : fitted;
  }

  #phase(c: PhaseChange): void {
    this.#phaseWall.set(c.build, Date.now());
    const s = c.script;
    const script = s ? ` ${s.n !== undefined && s.m !== undefined ? `${s.n}/${s.m} ` : ""}${s.name}` : "";
    const who = this.tracker.buildCount > 1 ? `${c.build}: ` : "";
    const text = `-- ${who}${PHASE_LABEL[c.phase]}${script}`;
    if (this.#o.mode === "json") {
      this.#json(
        "info",
        {
          type: "phase",
          phase: c.phase,
          ...(s ? { script: s.name, ...(s.n !== undefined ? { n: s.n } : {}), ...(s.m !== undefined ? { m: s.m } : {}) } : {}),
          build: c.build,
          packerTime: c.at,
        },
        `${PHASE_LABEL[c.phase]}${script}`,
      );
      return;
    }
    if (!shown("info", this.#o.level)) return;
    this.#add(this.#stamp(text, c.at, "phase"));
  }

  /** `fields` and `msg`: the event, for json (a Packer line's is made by line() itself). */
  #emit(level: LogLevel, text: string, fields: Record<string, unknown> | undefined, msg: string, kind: ViewKind, parsed?: PackerLine): void {
    if (this.#o.mode === "json") {
      if (fields) this.#json(level, fields, msg);
      return;
    }
    if (!shown(level, this.#o.level)) return;
    const style = level === "info" ? kind : level;
    // Nearly always one line: split only text that is not.
    if (!text.includes("\n")) this.#add(this.#stamp(text, parsed?.timestamp, style));
    else for (const l of text.split("\n")) this.#add(this.#stamp(l, parsed?.timestamp, style));
  }

  #json(level: LogLevel, fields: Record<string, unknown>, msg: string): void {
    if (this.#o.mode !== "json" || !this.#o.events) return;
    const line = this.#o.events.format(level, fields, msg);
    if (line !== "") this.#add(line.replace(/\n$/, ""));
  }

  /** Stamps (plain) or colours (tty) one line; an empty line stays bare. */
  #stamp(line: string, at: number | undefined, style: ViewKind | "phase" | LogLevel): string {
    if (line === "") return line;
    if (this.#o.mode === "plain") {
      const first = this.tracker.first;
      // arv-image's own lines (at undefined) and those before Packer's first line: no Packer time to count from.
      if (first === undefined || at === undefined) return line;
      // Packer's timestamps are whole seconds: one stamp serves many lines.
      if (at - first !== this.#stampFor) {
        this.#stampFor = at - first;
        this.#stampText = `[${clockStamp(at - first)}] `;
      }
      return this.#stampText + line;
    }
    if (this.#o.color !== true || style === "output") return line;
    // Per line, so that no colour spans a newline.
    const sgr = style === "phase" ? SGR.cyan : style === "say" ? SGR.bold : style === "error" ? SGR.red : style === "warn" ? SGR.yellow : style === "other" ? SGR.dim : undefined;
    return sgr ? sgr[0] + line + sgr[1] : line;
  }

  /**
   * Text made so far goes to bytes every 16 K characters: the line strings then die young.
   * Held as text until a batch is written (up to 1 MiB of Packer's output), they outlived the
   * young generation and grew the heap by ~40 MB on a long build.
   */
  #encode(): void {
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    if (this.#end + 3 * this.#text.length > this.#bytes.length) {
      // A new buffer, starting with the view not yet taken.
      const next = Buffer.allocUnsafe(Math.max(VIEW_BUFFER_BYTES, 2 * (this.#end - this.#start + 3 * this.#text.length)));
      this.#end = this.#bytes.copy(next, 0, this.#start, this.#end);
      this.#bytes = next;
      this.#start = 0;
    }
    this.#end += this.#bytes.write(this.#text, this.#end, "utf8");
    this.#text = "";
  }

  /** One line of the view (no newline in it). */
  #add(line: string): void {
    this.#text += line + "\n";
    if (this.#text.length >= 16384) this.#encode();
    // Lines as a reader counts them (the blank lines Packer puts before "==> Builds finished" are not).
    if (line !== "") this.#lines++;
  }
}
