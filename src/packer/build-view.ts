/**
 * The live view of a `packer build -machine-readable` run, made from its parsed (and
 * scrubbed) lines, in one of three forms:
 * - "tty": Packer's lines scroll (the build-name prefix dropped while there is one build,
 *   phase changes marked, warnings and errors coloured when colour is on) above a status
 *   line that build-run.ts redraws in place (statusLine());
 * - "plain" (a pipe, CI): the same lines, each stamped with the time since Packer's first
 *   line (from Packer's own timestamps), no control sequence at all;
 * - "json": one event per line (events.ts).
 * Phases and scripts come from phases.ts; every line feeds it, shown or not.
 */
import { type EventLog, type LogLevel, shown } from "../events.js";
import { parseLine, type PackerLine, unescapeField } from "./machine-readable.js";
import { viewOf, type ViewKind } from "./live-view.js";
import { clockStamp, formatBreakdown, shortDuration } from "./breakdown.js";
import { PHASE_LABEL, type PhaseChange, PhaseTracker, splitPrefix, type Timing } from "./phases.js";

export type ViewMode = "tty" | "plain" | "json";

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

/**
 * parseLine for the lines that make nearly all of a long build, "TS,,ui,say|message,TEXT"
 * with TEXT one item (Packer escapes its commas): the same result without the general
 * path's type check and split; undefined for any other line.
 */
export function progressLine(raw: string): PackerLine | undefined {
  const c1 = raw.indexOf(",");
  if (c1 < 1 || c1 > 15) return undefined;
  const kind = raw.startsWith(",,ui,message,", c1) ? "message" : raw.startsWith(",,ui,say,", c1) ? "say" : undefined;
  if (kind === undefined) return undefined;
  const from = c1 + (kind === "message" ? 13 : 9);
  if (raw.indexOf(",", from) !== -1 || raw.includes("\n")) return undefined;
  for (let i = 0; i < c1; i++) {
    const ch = raw.charCodeAt(i);
    if (ch < 48 || ch > 57) return undefined;
  }
  const end = raw.endsWith("\r") ? raw.length - 1 : raw.length;
  return { timestamp: Number(raw.slice(0, c1)), target: "", type: "ui", data: [kind, unescapeField(raw.slice(from, end))], raw };
}

export class BuildView {
  readonly tracker: PhaseTracker;
  readonly #o: BuildViewOptions;
  readonly #scripts: readonly string[];
  #text = "";
  #chunks: Buffer[] = [];
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

  /** One whole line of Packer's output (stdout or stderr), already scrubbed. */
  line(raw: string): void {
    const parsed = progressLine(raw) ?? parseLine(raw);
    if (!parsed) {
      // Not machine-readable (a plugin's stray output, Packer's stderr): shown as it is.
      this.#emit("info", raw, { type: "packer-text" }, raw, "other");
      return;
    }
    const change = this.tracker.add(parsed);
    if (change) this.#phase(change);
    const v = viewOf(parsed);
    if (v === undefined) {
      if (parsed.type === "artifact" || parsed.type === "error") this.#json("debug", { type: "packer", packerType: parsed.type, target: parsed.target, data: parsed.data, packerTime: parsed.timestamp }, parsed.type);
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
    const [text0, chunks0, lines0] = [this.#text, this.#chunks, this.#lines];
    this.#text = "";
    this.#chunks = [];
    this.say(text, level);
    const out = this.take().text;
    [this.#text, this.#chunks, this.#lines] = [text0, chunks0, lines0];
    return out;
  }

  /** The lines made since the last call (whole lines, UTF-8), and how many; `text` decodes them (for tests). */
  take(): { bytes: Buffer; lines: number; readonly text: string } {
    if (this.#text !== "") this.#encode();
    const bytes = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    const r = {
      bytes,
      lines: this.#lines,
      get text() {
        return bytes.toString("utf8");
      },
    };
    this.#chunks = [];
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
      this.#add(lines.map((l, i) => (i === 0 ? `arv-image: ${l}` : `  ${l}`)).join("\n"));
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
      this.#json("info", { type: "phase", phase: c.phase, ...(s ? { script: s.name, ...(s.n !== undefined ? { n: s.n } : {}), ...(s.m !== undefined ? { m: s.m } : {}) } : {}), build: c.build, packerTime: c.at }, `${PHASE_LABEL[c.phase]}${script}`);
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
    this.#add(this.#stamp(text, parsed?.timestamp, level === "info" ? kind : level));
  }

  #json(level: LogLevel, fields: Record<string, unknown>, msg: string): void {
    if (this.#o.mode !== "json" || !this.#o.events) return;
    const line = this.#o.events.format(level, fields, msg);
    if (line !== "") this.#add(line.replace(/\n$/, ""));
  }

  /** Stamps (plain) or colours (tty) each line of a text. */
  #stamp(text: string, at: number | undefined, style: ViewKind | "phase" | LogLevel): string {
    if (this.#o.mode === "plain") {
      const first = this.tracker.first;
      // arv-image's own lines (at undefined) and those before Packer's first line: no Packer time to count from.
      if (first === undefined || at === undefined) return text;
      // Packer's timestamps are whole seconds: one stamp serves many lines.
      if (at - first !== this.#stampFor) {
        this.#stampFor = at - first;
        this.#stampText = `[${clockStamp(at - first)}] `;
      }
      const stamp = this.#stampText;
      if (!text.includes("\n")) return text === "" ? text : stamp + text;
      return text
        .split("\n")
        .map((l) => (l === "" ? l : stamp + l))
        .join("\n");
    }
    if (this.#o.color !== true) return text;
    if (style === "output") return text;
    const sgr = style === "phase" ? SGR.cyan : style === "say" ? SGR.bold : style === "error" ? SGR.red : style === "warn" ? SGR.yellow : style === "other" ? SGR.dim : undefined;
    if (!sgr) return text;
    // Per line, so that no colour spans a newline.
    return text
      .split("\n")
      .map((l) => (l === "" ? l : sgr[0] + l + sgr[1]))
      .join("\n");
  }

  /**
   * Text made so far goes to bytes every 16 K characters: the line strings then die young.
   * Held as text until a batch is written (up to 1 MiB of Packer's output), they outlived the
   * young generation and grew the heap by ~40 MB on a long build.
   */
  #encode(): void {
    this.#chunks.push(Buffer.from(this.#text, "utf8"));
    this.#text = "";
  }

  #add(text: string): void {
    this.#text += text + "\n";
    if (this.#text.length >= 16384) this.#encode();
    // Lines as a reader counts them (the blank lines Packer puts before "==> Builds finished" are not).
    if (!text.includes("\n")) this.#lines += text === "" ? 0 : 1;
    else for (const l of text.split("\n")) if (l !== "") this.#lines++;
  }
}
