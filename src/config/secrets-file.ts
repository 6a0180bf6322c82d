/**
 * build.sh `source`d its secrets files, so a line in them could override any flag and
 * their values leaked into its own environment. arv-image runs the file with bash in a
 * separate process with an empty environment and keeps only what it exports. The
 * file's own output is discarded unseen: it may echo a secret.
 *
 * The file is executed: it runs with a fixed PATH (bash's built-in default PATH ends in
 * ".", so a command name in the file would run a program from the caller's directory),
 * in its own process group, which is killed when arv-image is interrupted or the file
 * takes too long (a file waiting on a prompt, a FIFO or a network call would otherwise
 * outlive arv-image).
 */
import { spawn } from "node:child_process";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { interruptSignal } from "../interrupt.js";

/** Variables bash itself exports into an empty environment (and PATH, which arv-image sets). */
const BASH_OWN = new Set(["PWD", "OLDPWD", "SHLVL", "_", "PATH"]);

/** The only PATH the file sees: system directories, never the caller's directory. */
export const SECRETS_FILE_PATH = "/usr/local/bin:/usr/bin:/bin";

const TIMEOUT_MS = 30_000;

// fd 3 carries `env -0` back; the file's stdout and stderr go to /dev/null.
const RUNNER = 'exec 3>&1 >/dev/null 2>&1 </dev/null; . "$1" || exit $?; command -p env -0 >&3';

export type SecretsResult = { ok: true; env: Record<string, string> } | { ok: false; problem: string };

/**
 * Windows line endings: bash reads `export A=x\r` as the value "x\r" (or fails on `then\r`),
 * and the credentials are refused much later with no hint why. Only a regular file is read
 * (O_NONBLOCK: a FIFO must not block here), and only its first MiB.
 */
function hasCrlf(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false; // bash reports it
  }
  try {
    if (!fstatSync(fd).isFile()) return false;
    const buf = Buffer.alloc(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).includes("\r\n");
  } finally {
    closeSync(fd);
  }
}

export function runSecretsFile(path: string): Promise<SecretsResult> {
  if (hasCrlf(path)) {
    return Promise.resolve({
      ok: false,
      problem: `has Windows (CRLF) line endings, which bash reads as part of each value; convert it first, e.g. sed -i 's/\\r$//' FILE (or dos2unix FILE)`,
    });
  }
  return new Promise((resolve) => {
    if (interruptSignal.aborted) {
      resolve({ ok: false, problem: "not run: arv-image was interrupted" });
      return;
    }
    const child = spawn("/bin/bash", ["--noprofile", "--norc", "-c", RUNNER, "arv-image-secrets", path], {
      env: { PATH: SECRETS_FILE_PATH },
      stdio: ["ignore", "pipe", "ignore"],
      // Its own process group, so that everything the file started goes with it.
      detached: true,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let why: string | undefined;
    const killGroup = (reason?: string) => {
      if (reason !== undefined) why ??= reason;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const onInterrupt = () => killGroup("interrupted");
    interruptSignal.addEventListener("abort", onInterrupt, { once: true });
    const timer = setTimeout(() => killGroup(`timed out after ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
    child.stdout.on("data", (c: Buffer) => {
      bytes += c.length;
      if (bytes > 4 * 1024 * 1024) killGroup("exported more than 4 MiB");
      else chunks.push(c);
    });
    const done = (result: SecretsResult) => {
      clearTimeout(timer);
      interruptSignal.removeEventListener("abort", onInterrupt);
      resolve(result);
    };
    child.on("error", () => done({ ok: false, problem: "could not start /bin/bash to run it" }));
    // The group may hold more than bash (a background job of the file, which would also hold
    // the pipe open): nothing the file started outlives it.
    child.on("exit", () => killGroup());
    child.on("close", (code, signal) => {
      if (why !== undefined || code !== 0) {
        const state = why ?? (code !== null ? `exited with status ${code}` : `was killed (${signal})`);
        done({
          ok: false,
          problem: `bash ${state} while running it (its output is not shown because it may contain secrets; check it with: bash -n FILE, then bash -c '. FILE')`,
        });
        return;
      }
      const env: Record<string, string> = {};
      for (const entry of Buffer.concat(chunks).toString("utf8").split("\0")) {
        const eq = entry.indexOf("=");
        if (eq <= 0) continue;
        const name = entry.slice(0, eq);
        if (!BASH_OWN.has(name)) env[name] = entry.slice(eq + 1);
      }
      done({ ok: true, env });
    });
  });
}
