/**
 * Runs the built CLI in a real pseudo-terminal: util-linux `script -qfc` allocates one and
 * copies everything written to it (stdout and stderr alike, CR LF line ends) to its own
 * stdout, which is read here. `screen()` is a small terminal for what arv-image writes:
 * lines, and a last line redrawn in place with CR + erase-line (ESC [ K).
 */
import { spawn } from "node:child_process";
import { BIN } from "./cli.js";

export interface PtyRun {
  /** Everything written to the terminal so far, raw. */
  output: () => string;
  exited: Promise<number | null>;
  /** Types into the terminal (e.g. "\x03", Ctrl-C: the terminal sends SIGINT to the foreground process group). */
  type: (keys: string) => void;
}

const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;

export function runInPty(args: readonly string[], env: NodeJS.ProcessEnv, size = { cols: 100, rows: 30 }): PtyRun {
  const cmd = `stty cols ${size.cols} rows ${size.rows}; exec ${[process.execPath, BIN, ...args].map(quote).join(" ")}`;
  const child = spawn("script", ["-qfec", cmd, "/dev/null"], { env, stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stdin.on("error", () => {});
  const exited = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  void exited.then(() => child.stdin.destroy());
  return { output: () => out, exited, type: (keys) => void child.stdin.write(keys) };
}

const SGR = /\x1b\[[0-9;]*m/g;

/** The lines the terminal shows (colours removed), the last one being the line the cursor is on. */
export function screen(raw: string): string[] {
  return raw.split("\n").map((line) => {
    // CR + ESC [ K: back to the start of the line and erase it; what follows is what shows.
    const shown = line.split("\x1b[K").pop() ?? "";
    return shown.replace(SGR, "").replace(/^\r+|\r+$/g, "");
  });
}

/** The status line the terminal shows now ("" when none). */
export function statusNow(raw: string): string {
  return screen(raw).at(-1) ?? "";
}

/** Control sequences other than colour (cursor movement, erasing). */
export const CONTROL = /\x1b\[[0-9;]*[A-La-ln-z]|\r(?!\n)/;
