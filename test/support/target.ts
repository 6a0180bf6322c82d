/**
 * A throwaway Debian 12 machine reachable over SSH on 127.0.0.1, for real `packer build`s with
 * the null builder: the cached make-rootfs.sh tarball (scripts/e2e/rootfs.mjs), or a captured image, in a
 * tmpfs, sshd in a chroot, in private mount + PID + UTS namespaces sharing the host's network
 * (apt reaches the Debian mirror). scripts/e2e/target-init.sh is the namespace's PID 1; read it
 * for what the machine has (minimal /dev, read-only /sys, fresh /run, no running systemd).
 *
 * Needs root and unshare. Always stop() in a finally block. Even if this process dies, the
 * target goes away: its PID 1 ends when its stdin (a pipe from here) closes, and the kernel then
 * kills the rest of the namespace and drops its mounts; only an empty temp directory remains.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRootfs } from "../../scripts/e2e/rootfs.mjs";
import { REPO } from "./cli.js";

export const TARGET_INIT = `${REPO}scripts/e2e/target-init.sh`;
const PATH_IN_TARGET = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface TargetRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Target {
  host: "127.0.0.1";
  port: number;
  user: "admin";
  /**
   * The target's / as a host path (/proc/PID/root/DIR, through the target's mount namespace):
   * read and write its files from the test while it runs. Gone after stop().
   */
  root: string;
  /** The host directory the target's tmpfs is mounted on (in the target's namespace only). */
  dir: string;
  /** PID (in the host's PID namespace) of the target's PID 1. */
  pid: number;
  /** sshd's log so far (sshd -D -e) and anything target-init.sh printed. */
  log(): string;
  /** Runs `bash -c CMD` as root inside the target (its namespaces, chrooted, clean environment). */
  run(cmd: string, opts?: { input?: string; timeoutMs?: number }): Promise<TargetRunResult>;
  /** Ends the target and removes its directory; idempotent. Rejects if something is left. */
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** A public key line for admin's ~/.ssh/authorized_keys. */
  authorizedKey: string;
  /**
   * What the machine is made from: a make-rootfs.sh tarball, or a directory holding a root (an
   * image the boot tier captured; copied, never changed). Default: the cached Debian 12 tarball
   * (built on first use, about a minute).
   */
  source?: string;
  /** How long to wait for sshd to listen (default 30 s). */
  startTimeoutMs?: number;
}

/** A port on 127.0.0.1 that was free a moment ago (sshd binding it may still race: retried). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Mount points at or below DIR in this process's mount namespace. */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Removes DIR, after making sure nothing is mounted there (never rm -rf through a mount). */
function removeDir(dir: string): void {
  const mounts = mountsUnder(dir);
  if (mounts.length > 0) throw new Error(`not removing ${dir}: mounted there: ${mounts.join(" ")}`);
  rmSync(dir, { recursive: true, force: true });
}

type Attempt = { ok: true; target: Target } | { ok: false; portTaken: boolean; message: string };

async function attempt(source: string, key: string, port: number, timeoutMs: number): Promise<Attempt> {
  const dir = mkdtempSync(join(tmpdir(), "arv-image-target-"));
  const t0 = Date.now();
  const child = spawn("unshare", ["--mount", "--pid", "--uts", "--fork", "--kill-child", "--propagation", "private", "--", "bash", TARGET_INIT, dir, source, String(port)], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", ARV_E2E_AUTHORIZED_KEY: key },
  });
  let out = "";
  const listening = `Server listening on 127.0.0.1 port ${port}.`;
  let pid = 0;
  const ready = new Promise<"ready" | "exit">((resolve) => {
    const check = () => {
      const m = /^arv-e2e-target: pid (\d+)$/m.exec(out);
      if (m) pid = Number(m[1]);
      if (pid && out.includes(listening)) resolve("ready");
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => ((out += d), check()));
    child.stderr.setEncoding("utf8").on("data", (d: string) => ((out += d), check()));
    child.once("exit", () => resolve("exit"));
    child.once("error", (e) => ((out += `\nspawn unshare: ${e.message}`), resolve("exit")));
  });
  child.stdin.on("error", () => {}); // EPIPE once the target is gone

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.stdin.end(); // target-init.sh's PID 1 ends on EOF; the kernel kills the rest
    if ((await within(exited(child), 5000)) === "timeout") {
      child.kill("SIGKILL"); // unshare --kill-child passes SIGKILL on to PID 1
      if ((await within(exited(child), 5000)) === "timeout") throw new Error(`target on port ${port}: unshare (pid ${child.pid}) did not exit`);
    }
    removeDir(dir);
  };

  const state = await within(ready, timeoutMs);
  if (state !== "ready") {
    await stop().catch(() => {});
    const portTaken = /Address already in use|Cannot bind any address/.test(out);
    const why = state === "timeout" ? `sshd did not listen within ${timeoutMs} ms` : `it exited (${child.exitCode ?? child.signalCode})`;
    return { ok: false, portTaken, message: `the e2e target failed to start: ${why}:\n${out}` };
  }
  const root = `/proc/${pid}/root${dir}`;
  if (process.env.ARV_IMAGE_E2E_VERBOSE) console.error(`e2e target ${port}: ready in ${Date.now() - t0} ms (${root})`);
  return {
    ok: true,
    target: {
      host: "127.0.0.1",
      port,
      user: "admin",
      root,
      dir,
      pid,
      log: () => out,
      run: (cmd, opts = {}) => runInTarget(pid, dir, cmd, opts),
      stop,
    },
  };
}

function runInTarget(pid: number, dir: string, cmd: string, opts: { input?: string; timeoutMs?: number }): Promise<TargetRunResult> {
  const args = [
    "--target",
    String(pid),
    "--mount",
    "--uts",
    "--pid",
    "--",
    "env",
    "-i",
    `PATH=${PATH_IN_TARGET}`,
    "HOME=/root",
    "LC_ALL=C.UTF-8",
    "chroot",
    dir,
    "/bin/bash",
    "-c",
    cmd,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("nsenter", args, { stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"], timeout: opts.timeoutMs ?? 120_000, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (opts.input !== undefined) {
      child.stdin!.on("error", () => {});
      child.stdin!.end(opts.input);
    }
  });
}

export async function startTarget(opts: TargetOptions): Promise<Target> {
  if (process.getuid?.() !== 0) throw new Error("the e2e SSH target needs root (mount, chroot, unshare)");
  const key = opts.authorizedKey.trim();
  if (!key || key.includes("\n")) throw new Error("authorizedKey must be one public key line");
  const source = opts.source ?? (await ensureRootfs());
  let last = "";
  for (let i = 0; i < 5; i++) {
    const result = await attempt(source, key, await freePort(), opts.startTimeoutMs ?? 30_000);
    if (result.ok) return result.target;
    last = result.message;
    if (!result.portTaken) break; // another process took the port between freePort() and sshd: retry
  }
  throw new Error(last);
}
