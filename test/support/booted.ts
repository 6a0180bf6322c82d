/**
 * Throwaway Debian machines booted with systemd as PID 1, reachable over SSH on 127.0.0.1: a
 * make-rootfs.sh tarball (scripts/e2e/rootfs.mjs; bookworm or trixie) unpacked into a
 * directory and booted with `systemd-nspawn -D DIR -b --register=no --keep-unit`
 * (scripts/e2e/boot-init.sh, PID 1 of a private PID + mount namespace, runs it). The machine
 * shares the host's network (apt reaches the Debian mirror, the test reaches its sshd on a
 * loopback port set in sshd_config.d before the boot); /tmp is what the image makes it
 * (SYSTEMD_NSPAWN_TMPFS_TMP=0).
 *
 * A machine's life: unpack (or copy) a root into a BootWorkspace, prepareRoot() (sshd port, keys),
 * bootMachine(), ssh(), poweroff() — which ends the container cleanly (systemctl poweroff inside
 * it, SIGKILL of the whole namespace only as a last resort) and checks that no process of it and
 * no mount below the workspace is left. captureImage() then copies the powered-off root: the
 * "image", booted fresh as a new node would be.
 *
 * Needs root, unshare and systemd-nspawn (Debian: systemd-container). Always dispose() the
 * workspace in a finally block. Even if this process dies, nothing is left running: boot-init.sh
 * ends when its stdin (a pipe from here) closes, or after its time limit, and the kernel then
 * kills everything in its PID namespace (the container's too) and drops its mounts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./cli.js";
import { freePort } from "./target.js";

export const BOOT_INIT = `${REPO}scripts/e2e/boot-init.sh`;

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv (no shell); SIGKILL after timeoutMs. */
export function command(argv: readonly string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, {
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs ?? 120_000,
      killSignal: "SIGKILL",
      env: opts.env ?? process.env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, stdout, stderr: signal ? `${stderr}\n(killed by ${signal} after ${(opts.timeoutMs ?? 120_000) / 1000} s)` : stderr }));
    if (opts.input !== undefined) {
      child.stdin!.on("error", () => {});
      child.stdin!.end(opts.input);
    }
  });
}

const must = async (argv: readonly string[], timeoutMs?: number) => {
  const r = await command(argv, { timeoutMs });
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
};

/** Mount points at or below DIR, in the host's mount namespace (PID 1's) and in this process's. */
export function mountsUnder(dir: string): string[] {
  const found = new Set<string>();
  for (const table of ["/proc/self/mountinfo", "/proc/1/mountinfo"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const m = line.split(" ")[4] ?? "";
      if (m === dir || m.startsWith(`${dir}/`)) found.add(m);
    }
  }
  return [...found];
}

/**
 * PIDs (host PID namespace) of the live processes in the PID namespace with this "dev:ino". The
 * caller must hold the namespace open (an fd on /proc/PID/ns/pid): a namespace's inode number is
 * reused as soon as it is freed, e.g. by another test's `unshare --pid`.
 */
export function processesIn(nsId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const st = statSync(`/proc/${entry}/ns/pid`);
      if (`${st.dev}:${st.ino}` === nsId) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or a zombie (its namespaces are no longer readable)
    }
  }
  return pids;
}

/** Children (host PIDs) of PID, from /proc/PID/task/PID/children. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const commOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A mkdtemp directory for the roots of one test run. dispose() removes it, after checking that
 * nothing is mounted below it (never rm -rf through a mount).
 */
export class BootWorkspace {
  readonly dir: string;
  private readonly machines = new Set<BootedMachine>();
  constructor(prefix = "arv-image-boot-") {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }
  /** A fresh directory inside the workspace. */
  path(name: string): string {
    const p = join(this.dir, name);
    if (existsSync(p)) throw new Error(`${p} exists already`);
    return p;
  }
  /** Unpacks a make-rootfs.sh tarball into a new directory NAME of the workspace. */
  async unpack(tarball: string, name: string): Promise<string> {
    const root = this.path(name);
    mkdirSync(root, { mode: 0o755 });
    await must(["tar", "-C", root, "--numeric-owner", "--xattrs", "-xpf", tarball], 300_000);
    chmodSync(root, 0o755); // sshd reads ~user/.ssh as that user: "/" must be searchable
    return root;
  }
  track(m: BootedMachine): void {
    this.machines.add(m);
  }
  /** Kills what still runs (last resort), checks that nothing is left, removes the directory. */
  async dispose(): Promise<void> {
    const problems: string[] = [];
    for (const m of this.machines) {
      try {
        await m.kill();
        m.checkNothingLeft();
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      } finally {
        m.release();
      }
    }
    const mounts = mountsUnder(this.dir);
    if (mounts.length > 0) problems.push(`not removing ${this.dir}: mounted there: ${mounts.join(" ")}`);
    else rmSync(this.dir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(problems.join("\n"));
  }
}

export interface RootSetup {
  /** sshd's port (on 127.0.0.1); default: a free one. */
  port?: number;
  /** Public key lines appended to USER's ~/.ssh/authorized_keys (the user must exist). */
  authorizedKeys?: Record<string, string>;
  /** Remove make-rootfs.sh's /usr/sbin/policy-rc.d (a chroot's), as a real machine has none. */
  allowServiceStarts?: boolean;
}

/** Numeric uid/gid and home of USER from ROOT's /etc/passwd. */
function passwdEntry(root: string, user: string): { uid: number; gid: number; home: string } {
  const line = readFileSync(join(root, "etc/passwd"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user} in ${root}/etc/passwd`);
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "" };
}

/**
 * Readies a root for a boot: sshd listens on 127.0.0.1:PORT only (a drop-in in sshd_config.d,
 * which Debian's sshd_config includes first: first match wins), with key logins only and
 * Debian's PAM (a booted machine has logind); keys for the given users. Returns the port.
 * This stands in for the cloud: an instance's sshd would listen on port 22 of its own address.
 */
export async function prepareRoot(root: string, setup: RootSetup = {}): Promise<number> {
  const port = setup.port ?? (await freePort());
  writeFileSync(
    join(root, "etc/ssh/sshd_config.d/arv-e2e.conf"),
    [
      "# arv-image e2e booted machine (test/support/booted.ts): the host's network is shared,",
      "# so sshd listens on a loopback port of the test's choosing, rewritten before each boot.",
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "",
    ].join("\n"),
  );
  for (const [user, key] of Object.entries(setup.authorizedKeys ?? {})) {
    const pw = passwdEntry(root, user);
    const ssh = join(root, pw.home, ".ssh");
    mkdirSync(ssh, { recursive: true, mode: 0o700 });
    chownSync(ssh, pw.uid, pw.gid);
    chmodSync(ssh, 0o700);
    const file = join(ssh, "authorized_keys");
    const before = existsSync(file) ? readFileSync(file, "utf8") : "";
    writeFileSync(file, `${before}${before && !before.endsWith("\n") ? "\n" : ""}${key.trim()}\n`);
    chownSync(file, pw.uid, pw.gid);
    chmodSync(file, 0o600);
  }
  if (setup.allowServiceStarts) rmSync(join(root, "usr/sbin/policy-rc.d"), { force: true });
  return port;
}

/** Copies a powered-off root (the "image"): owners, modes, hard links, ACLs and xattrs kept. */
export async function captureImage(fromRoot: string, toRoot: string): Promise<void> {
  if (existsSync(toRoot)) throw new Error(`${toRoot} exists already`);
  mkdirSync(toRoot, { mode: 0o755 });
  await must(["cp", "-a", "--sparse=always", `${fromRoot}/.`, `${toRoot}/`], 600_000);
  chmodSync(toRoot, statSync(fromRoot).mode & 0o7777);
}

export interface SshLogin {
  user: string;
  /** Private key file. */
  key: string;
}

export interface BootOptions {
  /** The root to boot (prepared with prepareRoot). */
  root: string;
  port: number;
  /** Who the readiness check logs in as. */
  login: SshLogin;
  /** A short name for messages and the console log file. */
  name: string;
  /** Kill the machine (and everything in it) after this long, whatever happens (default 45 min). */
  limitSeconds?: number;
  /** How long to wait for SSH to answer (default 3 min). */
  sshTimeoutMs?: number;
  /**
   * A network namespace of its own with only loopback (systemd-nspawn --private-network): the
   * machine reaches nothing outside (no metadata service, no mirror); the test's SSH client
   * joins that namespace to reach its sshd on 127.0.0.1. Default: the host's network.
   */
  privateNetwork?: boolean;
  /** Extra systemd-nspawn options. */
  nspawnArgs?: string[];
}

/**
 * systemd-nspawn options of every machine: no CAP_MKNOD, so a provisioning script or boot unit
 * that looks for disks (lsblk sees the host's through /sys) can never make a device node for
 * one; the container's /dev has none of the host's disks.
 */
const NSPAWN_DEFAULTS = ["--drop-capability=CAP_MKNOD"];

const SSH_OPTIONS = [
  "-F",
  "/dev/null",
  "-o",
  "BatchMode=yes",
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
  "-o",
  "IdentitiesOnly=yes",
  "-o",
  "IdentityAgent=none",
  "-o",
  "ConnectTimeout=10",
];

export class BootedMachine {
  readonly host = "127.0.0.1";
  private child: ChildProcess;
  private console = "";
  private ended = false;
  /** PID (host namespace) of the container's PID 1 (systemd), known once booted. */
  pid = 0;
  /** fds holding the machine's PID namespaces (boot-init.sh's and the container's) open, and their ids. */
  private nsFds: number[] = [];
  private nsIds: string[] = [];

  constructor(
    readonly workspace: BootWorkspace,
    readonly opts: BootOptions,
  ) {
    const limit = String(opts.limitSeconds ?? 2700);
    this.child = spawn(
      "unshare",
      [
        "--mount",
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        "--propagation",
        "private",
        "--",
        "bash",
        BOOT_INIT,
        opts.root,
        limit,
        ...NSPAWN_DEFAULTS,
        ...(opts.privateNetwork ? ["--private-network"] : []),
        ...(opts.nspawnArgs ?? []),
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" },
      },
    );
    const keep = (d: string) => {
      this.console += d;
      if (this.console.length > 4_000_000) this.console = this.console.slice(-2_000_000);
    };
    this.child.stdout!.setEncoding("utf8").on("data", keep);
    this.child.stderr!.setEncoding("utf8").on("data", keep);
    this.child.stdin!.on("error", () => {}); // EPIPE once it is gone
    this.child.once("exit", () => (this.ended = true));
    this.child.once("error", (e) => ((this.console += `\nspawn unshare: ${e.message}`), (this.ended = true)));
    workspace.track(this);
  }

  get port(): number {
    return this.opts.port;
  }

  /** The console so far (systemd's boot messages, nspawn's and boot-init.sh's notes). */
  log(): string {
    return this.console;
  }

  /** Finds the container's PID 1: unshare → boot-init.sh → systemd-nspawn → systemd. */
  private findInit(): number {
    const unsharePid = this.child.pid ?? 0;
    for (const init of childrenOf(unsharePid)) {
      for (const nspawn of childrenOf(init)) {
        if (commOf(nspawn) !== "systemd-nspawn") continue;
        for (const c of childrenOf(nspawn)) if (commOf(c) === "systemd") return c;
      }
    }
    return 0;
  }

  /** Waits until the container's systemd runs and sshd answers LOGIN; then the namespaces are known. */
  async ready(): Promise<void> {
    const deadline = Date.now() + (this.opts.sshTimeoutMs ?? 180_000);
    let last: CommandResult | undefined;
    while (Date.now() < deadline) {
      if (this.ended) throw new Error(`${this.opts.name}: the machine ended during boot:\n${this.console.slice(-6000)}`);
      if (!this.pid) {
        this.pid = this.findInit();
        if (this.pid) {
          for (const p of [this.pid, childrenOf(this.child.pid ?? 0)[0] ?? 0]) {
            const fd = openSync(`/proc/${p}/ns/pid`, "r");
            this.nsFds.push(fd);
            const st = fstatSync(fd);
            this.nsIds.push(`${st.dev}:${st.ino}`);
          }
        }
      }
      if (this.pid) {
        last = await this.ssh(this.opts.login, "true", { timeoutMs: 20_000 });
        if (last.code === 0) return;
      }
      await sleep(1000);
    }
    throw new Error(
      `${this.opts.name}: SSH on 127.0.0.1:${this.port} did not answer as ${this.opts.login.user} within ${(this.opts.sshTimeoutMs ?? 180_000) / 1000} s (last: ${last?.stderr.trim() ?? "systemd not started"}):\n${this.console.slice(-6000)}`,
    );
  }

  /** Runs CMD (a shell command line on the machine) over SSH, as login.user with login.key. */
  ssh(login: SshLogin, cmd: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
    return command([...this.netPrefix(), "ssh", ...SSH_OPTIONS, "-i", login.key, "-p", String(this.port), "--", `${login.user}@${this.host}`, cmd], opts);
  }

  /** With a private network, client commands run in the machine's network namespace. */
  private netPrefix(): string[] {
    if (!this.opts.privateNetwork) return [];
    if (!this.pid) throw new Error(`${this.opts.name}: not booted`);
    return ["nsenter", "-t", String(this.pid), "-n", "--"];
  }

  /** `ssh-keyscan` of the machine's host keys: "type base64" lines, sorted. */
  async hostKeys(): Promise<string[]> {
    const r = await command([...this.netPrefix(), "ssh-keyscan", "-T", "10", "-p", String(this.port), this.host], { timeoutMs: 30_000 });
    return r.stdout
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(" ").slice(1, 3).join(" "))
      .sort();
  }

  /** Runs `bash -c CMD` as root inside the container (nsenter into all its namespaces): for diagnostics. */
  exec(cmd: string, opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
    if (!this.pid) throw new Error(`${this.opts.name}: not booted`);
    return command(
      ["nsenter", "-t", String(this.pid), "-a", "/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "/bin/bash", "-c", cmd],
      opts,
    );
  }

  /**
   * `systemctl is-system-running --wait` as root inside: what the boot settled on (running,
   * degraded, …), waiting at most limitSeconds (then "timeout: …").
   */
  async settled(limitSeconds = 600): Promise<string> {
    const r = await this.exec(`timeout ${limitSeconds} systemctl is-system-running --wait`, { timeoutMs: (limitSeconds + 30) * 1000 });
    const state = r.stdout.trim();
    return r.code === 124 ? `timeout: still ${state || "starting"} after ${limitSeconds} s` : state || `no answer (${r.code}): ${r.stderr.trim()}`;
  }

  /** `systemctl --failed` and the journal of each failed unit (as root inside). */
  async failedReport(): Promise<string> {
    const failed = await this.exec("systemctl --failed --no-pager --no-legend --plain | awk '{print $1}'");
    const units = failed.stdout
      .split("\n")
      .map((u) => u.trim())
      .filter(Boolean);
    const parts = [(await this.exec("systemctl --failed --no-pager")).stdout];
    for (const u of units)
      parts.push(`--- journalctl -u ${u}\n${(await this.exec(`journalctl -b -u '${u.replace(/'/g, "")}' --no-pager -o short-monotonic | tail -n 60`)).stdout}`);
    return parts.join("\n");
  }

  /**
   * Ends the machine: `systemctl poweroff` inside, nspawn exits by itself; SIGKILL of the whole
   * namespace only when that does not happen within timeoutMs. Rejects when the clean way failed
   * or when a process of it or a mount below the workspace is left.
   */
  async poweroff(timeoutMs = 180_000): Promise<void> {
    if (this.ended) throw new Error(`${this.opts.name}: already ended:\n${this.console.slice(-3000)}`);
    const r = await this.exec("systemctl poweroff", { timeoutMs: 30_000 });
    const clean = r.code === 0 && (await within(exited(this.child), timeoutMs)) !== "timeout";
    if (!clean) await this.kill();
    this.checkNothingLeft();
    if (!clean)
      throw new Error(
        `${this.opts.name}: systemctl poweroff did not end the machine within ${timeoutMs / 1000} s (${r.code}: ${r.stderr.trim()}); killed it:\n${this.console.slice(-4000)}`,
      );
    const status = this.child.exitCode;
    if (status !== 0) throw new Error(`${this.opts.name}: systemd-nspawn ended with status ${status ?? this.child.signalCode} after poweroff:\n${this.console.slice(-4000)}`);
  }

  /** The last resort: SIGKILL to unshare, which passes it to boot-init.sh (PID 1): everything in it dies. Idempotent. */
  async kill(): Promise<void> {
    if (!this.ended) {
      this.child.stdin!.end();
      if ((await within(exited(this.child), 5000)) === "timeout") {
        this.child.kill("SIGKILL");
        if ((await within(exited(this.child), 10_000)) === "timeout") throw new Error(`${this.opts.name}: unshare (pid ${this.child.pid}) did not exit`);
      }
    }
    // The kernel tears a PID namespace down asynchronously: give it a moment.
    for (let i = 0; i < 50 && this.leftovers().length > 0; i++) await sleep(200);
  }

  private leftovers(): number[] {
    return this.nsIds.flatMap((ns) => processesIn(ns));
  }

  /** Lets go of the namespaces (after the last check). */
  release(): void {
    for (const fd of this.nsFds.splice(0)) closeSync(fd);
    this.nsIds = [];
  }

  /** Throws when a process of this machine or a mount below the workspace is left. */
  checkNothingLeft(): void {
    const pids = this.leftovers();
    const mounts = mountsUnder(this.workspace.dir);
    if (pids.length > 0 || mounts.length > 0) {
      const ps = pids.map((p) => `${p} ${commOf(p)}`).join(", ");
      throw new Error(`${this.opts.name}: left behind: processes [${ps}], mounts [${mounts.join(" ")}]`);
    }
  }
}

/** Boots a prepared root and waits for SSH. On failure the machine is killed and the error says why. */
export async function bootMachine(workspace: BootWorkspace, opts: BootOptions): Promise<BootedMachine> {
  const m = new BootedMachine(workspace, opts);
  try {
    await m.ready();
  } catch (e) {
    await m.kill().catch(() => {});
    throw e;
  }
  if (process.env.ARV_IMAGE_E2E_VERBOSE) console.error(`booted ${opts.name}: ssh -p ${opts.port} ${opts.login.user}@127.0.0.1 (pid ${m.pid})`);
  return m;
}
