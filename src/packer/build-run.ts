/**
 * `packer build` in a build directory, streamed: the live view to the caller's progress
 * sink (stderr), every line in the log file, back-pressure, a bound on what a terminal
 * that falls behind may hold, and the interrupt protocol (forward, keep streaming, wait).
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Progress } from "../io.js";
import { utcStamp } from "../time.js";
import { scrubFileInPlace, type Scrubber } from "./environment.js";
import type { Packer } from "./find.js";
import { BuildView, type ViewMode } from "./build-view.js";
import type { Timing } from "./phases.js";
import type { ArtifactCollector, ErrorCollector } from "./results.js";
import { forwardSignals, startPacker } from "./run.js";
import { PackerStream } from "./stream.js";

export interface PackerRun {
  packer: Packer;
  dir: string;
  args: string[];
  env: Record<string, string>;
  started: Date;
  progress: Progress;
  scrub: Scrubber;
  debug: boolean;
  /** The build directory's provisioning scripts (file names, in order), for the status line's n/m. */
  scripts?: readonly string[];
  onFirst: (signal: NodeJS.Signals) => string;
  onRepeat: (signal: NodeJS.Signals) => string;
}

export interface PackerRunResult {
  code: number;
  interrupted: NodeJS.Signals | undefined;
  artifacts: ArtifactCollector;
  errors: ErrorCollector;
  logPath: string;
  /** From starting Packer until its output was all in the log. */
  seconds: number;
  /** Where the time went, from Packer's timestamps (phases.ts). */
  timings: Timing[];
  /** Packer said it finished cancelling ("Cleanly cancelled builds after being interrupted."). */
  cleanupReported: boolean;
}

/**
 * What Packer prints once its cleanup after an interrupt is over (hashicorp/packer
 * command/build.go, 1.6 to 1.14: "Cleanly cancelled builds after being interrupted.").
 * Without it, Packer ended some other way (killed, crashed): nothing says its cleanup ran.
 */
const CLEANUP_DONE = "Cleanly cancelled builds after being interrupted";

/** The last bytes of a stream, enough to hold Packer's closing lines (chunks kept, joined only at the end). */
class Tail {
  #chunks: Buffer[] = [];
  #bytes = 0;
  push(c: Buffer): void {
    this.#chunks.push(c);
    this.#bytes += c.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= 16384) this.#bytes -= this.#chunks.shift()?.length ?? 0;
  }
  includes(s: string): boolean {
    return Buffer.concat(this.#chunks).includes(s);
  }
}

/** Unwritten live view beyond which lines are left out of it (see flushBuffers). */
const VIEW_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Runs `packer build` in the build directory: the live view on stderr, every line in the
 * log file, back-pressure, and the interrupt protocol (forward, keep streaming, wait).
 */
export async function runPackerBuild(r: PackerRun): Promise<PackerRunResult> {
  const { packer, dir, args, env, started, progress, debug } = r;
  const logPath = join(dir, `packer-${utcStamp(started, "-")}.log`);
  // -debug hands Packer the terminal: nothing passes through arv-image, so no log file.
  // A 2 MiB write buffer, twice a batch (below): reading goes on while a write is under way
  // (with the default 16 KiB, every 64 KiB read waited for its write), and memory stays
  // bounded all the same.
  const log = debug ? new Writable({ write: (_c, _e, cb) => cb() }) : createWriteStream(logPath, { mode: 0o600, highWaterMark: 2 << 20 });
  const mode: ViewMode = progress.events ? "json" : progress.tty ? "tty" : "plain";
  const view = new BuildView({ mode, color: mode === "tty" && progress.color === true, scripts: r.scripts ?? [], events: progress.events, level: progress.level });
  const tty = mode === "tty" ? progress.tty : undefined;
  // A failing log file or a closed terminal must never end arv-image before Packer:
  // report it and keep waiting (Packer may be deleting cloud resources).
  let logFailed = false;
  log.on("error", (e: Error) => {
    if (!logFailed) say(`arv-image: warning: cannot write ${logPath}: ${e.message}; still waiting for Packer`, "warn");
    logFailed = true;
  });
  // (A closed terminal cannot end arv-image either: main.ts ignores its stream errors.)
  // Each line once: split, scrubbed, parsed, then into the log, the results and the view.
  const stream = new PackerStream({ scrub: r.scrub, view });
  // Output is written in batches: at 1 MiB, or 20 ms after the first unwritten line (too
  // short for a person to notice). Packer writes every line with its own write(2); passing
  // each on as it came cost two system calls per line, and batches of 64 KiB still cost a
  // tenth of the streaming time in `npm run bench`.
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  // Bytes of view given to stderr and not written yet (a pipe's writes queue in memory), and
  // lines left out while there were too many.
  let viewBacklog = 0;
  let notShown = 0;
  // On a terminal, the status line is the last thing written, without a newline; each write
  // first clears it (CR, erase line) and ends by drawing it again.
  let statusShown = false;
  const CLEAR = "\r\x1b[K";
  const status = () => (tty ? view.statusLine(Date.now(), (Date.now() - started.getTime()) / 1000, tty.columns()) : "");
  const write = (...parts: (string | Buffer)[]) => {
    // One write (a redraw lands whole); the view's own bytes as they are when nothing goes with them.
    const some = parts.filter((p) => p.length > 0);
    const bytes = some.length === 1 && typeof some[0] !== "string" ? some[0] : Buffer.concat(some.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
    if (bytes === undefined || bytes.length === 0) return;
    viewBacklog += bytes.length;
    progress.stderr(bytes, () => (viewBacklog -= bytes.length));
  };
  const flushBuffers = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    pending = 0;
    const logParts = stream.takeLog();
    if (logParts.length > 0 && !logFailed) {
      // One writev for all the pieces (mostly Packer's own chunks, written as they came).
      log.cork();
      for (const part of logParts) log.write(part);
      log.uncork();
    }
    const { bytes, lines } = view.take();
    if (lines === 0) return;
    // A terminal (or pipe) that falls behind must neither block Packer (its cleanup could
    // stall behind `| less`) nor fill memory: past a backlog of unwritten view, lines are
    // left out of the view (the log has them all) and a notice says how many. The status
    // line is left out with them: it never adds to a backlog.
    if (viewBacklog + bytes.length > VIEW_BACKLOG_BYTES) {
      notShown += lines;
      return;
    }
    const notice = notShown > 0 ? view.render(notShownText(), "warn") : "";
    notShown = 0;
    const line = status();
    write((statusShown ? CLEAR : "") + notice, bytes, line);
    statusShown = line !== "";
  };
  const notShownText = () =>
    `arv-image: ${notShown} ${notShown === 1 ? "line" : "lines"} of Packer's output left out here: the terminal fell behind (the log has every line: ${logPath})`;
  /** arv-image's own lines while Packer runs: through the view, in order with Packer's. */
  const say = (text: string, level: "info" | "warn" = "info") => {
    view.say(text, level);
    flushBuffers();
  };
  // The status line's clock moves on its own: redraw it each second, only when nothing is
  // waiting to be written (so a terminal that falls behind gets nothing more).
  const ticker = tty
    ? setInterval(() => {
        if (!statusShown || viewBacklog > 0 || timer !== undefined) return;
        write(CLEAR + status());
      }, 1000)
    : undefined;
  ticker?.unref();
  const received = (bytes: number) => {
    pending += bytes;
    if (pending >= 1024 * 1024) flushBuffers();
    else timer ??= setTimeout(flushBuffers, 20);
    backPressure();
  };
  say(debug ? `arv-image: packer build -debug (Packer ${packer.version}; interactive, not logged)` : `arv-image: packer build (Packer ${packer.version}); log ${logPath}`);
  // Memory stays flat: when the log file lags, stop reading Packer until it drains.
  let paused = false;
  const backPressure = () => {
    if (!paused && !logFailed && log.writableNeedDrain) {
      paused = true;
      p.pauseOutput();
      log.once("drain", () => {
        paused = false;
        p.resumeOutput();
      });
    }
  };
  const outTail = new Tail();
  const errTail = new Tail();
  const startedPacker = performance.now();
  const p = startPacker({
    bin: packer.bin,
    args,
    cwd: dir,
    env,
    interactive: debug,
    onStdout: (c) => {
      outTail.push(c);
      stream.stdout(c);
      received(c.length);
    },
    onStderr: (c) => {
      errTail.push(c);
      stream.stderr(c);
      received(c.length);
    },
  });
  const sig = forwardSignals(p, {
    onFirst: (s) => say(r.onFirst(s), "warn"),
    onRepeat: (s) => say(r.onRepeat(s), "warn"),
  });
  let code: number;
  try {
    code = await p.exited;
  } finally {
    sig.stop();
    if (ticker) clearInterval(ticker);
  }
  stream.end();
  const timings = debug ? [] : view.finish();
  flushBuffers();
  if (notShown > 0) write(view.render(notShownText(), "warn"));
  // The breakdown above ends the run's view; the status line goes (what follows is the result).
  if (statusShown) write(CLEAR);
  if (timings.length > 0 && !logFailed) log.write(view.breakdown(timings));
  await new Promise<void>((r) => (logFailed ? r() : log.end(r)));
  // From starting Packer until its output is all in the log (what `npm run bench` compares with tee).
  const seconds = (performance.now() - startedPacker) / 1000;
  // --verbose: Packer's own debug log never went through the scrubber.
  if (env.PACKER_LOG_PATH !== undefined) {
    const problem = await scrubFileInPlace(env.PACKER_LOG_PATH, r.scrub);
    if (problem) progress.stderr(`arv-image: warning: ${problem}\n`);
  }
  const cleanupReported = outTail.includes(CLEANUP_DONE) || errTail.includes(CLEANUP_DONE);
  return { code, interrupted: sig.first(), artifacts: stream.artifacts, errors: stream.errors, logPath, seconds, timings, cleanupReported };
}
