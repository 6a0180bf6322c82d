/**
 * Interrupts in every phase of `arv-image build` (SIGINT, SIGTERM, SIGHUP): nothing is left
 * behind (no temporary directory, no process), the exit code is 128 + the signal's number,
 * Packer gets the signal it cleans up on, and an image that was built is never lost.
 *
 * Each phase is held open by something that waits for the test, never by a duration: a
 * secrets file blocked on a FIFO, an EC2 endpoint on loopback that never answers (preflight,
 * and the untagging after a build), and the STAND-IN packer (test/support/stand-in-packer)
 * for what real Packer cannot do offline: block in `validate`, and be interrupted mid-build.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, EXAMPLE_KEY, interruptReports, REPO, run } from "../support/cli.js";

let tmp: string;
/** An EC2 endpoint that accepts requests and never answers them. */
let hang: Server;
let hangUrl: string;
let requests = 0;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-interrupts-"));
  writeFileSync(join(tmp, "aws-secrets.sh"), "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=CANARY-interrupts-secret\n");
  hang = createServer(() => requests++);
  await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
  hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
});
afterAll(async () => {
  hang.closeAllConnections();
  await new Promise((r) => hang.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const T = "1700000000";
const AWS_OK = [
  `${T},amazon-ebs.compute,artifact,0,builder-id,mitchellh.amazonebs`,
  `${T},amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0`,
  `${T},amazon-ebs.compute,artifact,0,end`,
  `${T},,ui,say,Build 'amazon-ebs.compute' finished after 21 minutes 3 seconds.`,
];

function standIn(scenario: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, "stand-in-"));
  copyFileSync(join(REPO, "test/support/stand-in-packer/packer"), join(dir, "packer"));
  writeFileSync(
    join(dir, "scenario"),
    Object.entries(scenario)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join(""),
  );
  return dir;
}

interface Running {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: () => string;
  stderr: () => string;
  /** Waits for a condition checked on every output chunk and file event poll; fails if the process ends first. */
  until: (what: string, cond: () => boolean) => Promise<void>;
  closed: Promise<number | null>;
  out: string;
  own: string;
}

/** `arv-image build …` with a private TMPDIR, --out in a fresh directory, the stand-in first on PATH. */
function start(
  args: string[],
  opts: { packerDir?: string; env?: Record<string, string>; command?: "build" | "render" | "validate" | "preflight" | "gc"; outExists?: boolean } = {},
): Running {
  const own = mkdtempSync(join(tmp, "tmpdir-"));
  const out = join(mkdtempSync(join(tmp, "out-")), "b");
  if (opts.outExists) mkdirSync(out, { mode: 0o750 });
  const command = opts.command ?? "build";
  const child = spawn(process.execPath, [BIN, command, ...args, ...(command === "build" || command === "render" ? ["--out", out] : [])], {
    env: { ...process.env, TMPDIR: own, AWS_ENDPOINT_URL_EC2: hangUrl, ...(opts.packerDir ? { PATH: `${opts.packerDir}:${process.env.PATH ?? ""}` } : {}), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let exited = false;
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const closed = new Promise<number | null>((r) => child.on("close", (c) => ((exited = true), r(c))));
  const until = async (what: string, cond: () => boolean) => {
    // Polls for the event (a file, a request): how long it takes does not matter.
    while (!cond() && !exited) await new Promise((r) => setTimeout(r, 25));
    expect(cond(), `${what}; stderr: ${stderr}`).toBe(true);
  };
  return { child, stdout: () => stdout, stderr: () => stderr, until, closed, out, own };
}

const awsArgs = (secrets = join(tmp, "aws-secrets.sh")) => ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-secrets-file", secrets];

const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Nothing of arv-image's own is left: no arv-image-* under TMPDIR, nothing temporary beside --out, no process. */
async function expectNothingLeft(r: Running, markers: string[]): Promise<void> {
  expect(readdirSync(r.own).filter((f) => f.includes("arv-image"))).toEqual([]);
  const beside = join(r.out, "..");
  expect(readdirSync(beside).filter((f) => f.includes("arv-image") || f.startsWith("."))).toEqual([]);
  for (const m of markers) {
    const left = await run("pgrep", ["-af", m]);
    expect(left.stdout, `processes left for ${m}`).toBe("");
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

describe("an interrupt in any phase leaves nothing behind", () => {
  const phases = (["build", "render", "validate"] as const).flatMap((command) => SIGNALS.map((sig) => [command, sig] as const));
  it.each(phases)("arv-image %s, while the secrets file runs (%s): its bash and everything it started are gone", async (command, sig) => {
    const dir = mkdtempSync(join(tmp, "secrets-"));
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const file = join(dir, "blocking-secrets.sh");
    // A child process of its own too (sleep in the background): the whole group must go.
    // (named after the directory, so that pgrep below finds it if it outlives arv-image).
    writeFileSync(file, `(exec -a "sleeper ${dir}" sleep 600) &\n: >"${dir}/started"\nread -r x <"${fifo}"\nexport AWS_ACCESS_KEY_ID=AKIAEXAMPLE\n`);
    const r = start([...awsArgs(file), ...(command === "build" ? ["--skip-preflight"] : [])], { command });
    await r.until("the secrets file started", () => existsSync(join(dir, "started")));
    r.child.kill(sig);
    expect(await r.closed).toBe(EXIT[sig]);
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    expect(existsSync(r.out)).toBe(false);
    await expectNothingLeft(r, [dir]);
  });

  it.each(SIGNALS)("during preflight (%s): the cloud call is abandoned at once", async (sig) => {
    const dir = standIn({});
    const before = requests;
    const r = start([...awsArgs(), "--preflight-timeout", "300"], { packerDir: dir });
    await r.until("preflight asked EC2", () => requests > before);
    r.child.kill(sig);
    expect(await r.closed).toBe(EXIT[sig]);
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    expect(existsSync(r.out)).toBe(false);
    await expectNothingLeft(r, [dir]);
  });

  it.each(SIGNALS)("arv-image preflight --json (%s): the abandoned call is no finding; one document says it was interrupted", async (sig) => {
    const dir = standIn({});
    const before = requests;
    const r = start([...awsArgs(), "--preflight-timeout", "300", "--json"], { packerDir: dir, command: "preflight" });
    await r.until("preflight asked EC2", () => requests > before);
    r.child.kill(sig);
    expect(await r.closed).toBe(EXIT[sig]);
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    const doc = JSON.parse(r.stdout()) as { ok: boolean; interrupted: string; error: string; findings?: unknown };
    expect(doc).toMatchObject({ ok: false, interrupted: sig });
    expect(r.stdout()).not.toMatch(/InterruptedError|answered/);
    await expectNothingLeft(r, [dir]);
  });

  it.each(SIGNALS)("arv-image gc --json while listing (%s): nothing changed, said once; one document says it was interrupted", async (sig) => {
    const before = requests;
    const r = start(["--cloud", "aws", "--aws-secrets-file", join(tmp, "aws-secrets.sh"), "--json"], { command: "gc" });
    await r.until("gc asked EC2", () => requests > before);
    r.child.kill(sig);
    expect(await r.closed).toBe(EXIT[sig]);
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    expect(r.stderr()).toContain("nothing was changed");
    expect(JSON.parse(r.stdout())).toMatchObject({ ok: false, interrupted: sig, actions: [] });
    expect(r.stdout() + r.stderr()).not.toMatch(/InterruptedError|nothing was built/);
  });

  it.each(SIGNALS)("during packer validate (%s): Packer is signalled, waited for, and the unbuilt directory removed", async (sig) => {
    const dir = standIn({ BLOCK_VALIDATE: "1" });
    const r = start([...awsArgs(), "--skip-preflight"], { packerDir: dir });
    await r.until("packer validate runs", () => existsSync(join(dir, "validating")));
    r.child.kill(sig);
    expect(await r.closed).toBe(EXIT[sig]);
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    // Packer got the signal it stops on (SIGHUP arrives as SIGINT).
    expect(existsSync(join(dir, sig === "SIGTERM" ? "got-TERM" : "got-INT"))).toBe(true);
    expect(existsSync(r.out)).toBe(false);
    await expectNothingLeft(r, [dir]);
  });

  it("during packer validate, an empty --out the operator made is left there, empty, as it was", async () => {
    const dir = standIn({ BLOCK_VALIDATE: "1" });
    const r = start([...awsArgs(), "--skip-preflight"], { packerDir: dir, outExists: true });
    await r.until("packer validate runs", () => existsSync(join(dir, "validating")));
    r.child.kill("SIGINT");
    expect(await r.closed).toBe(130);
    expect(readdirSync(r.out)).toEqual([]);
    expect(statSync(r.out).mode & 0o7777).toBe(0o750);
    await expectNothingLeft(r, [dir]);
  });

  it("arv-image validate, interrupted in packer validate, removes its temporary directory", async () => {
    const dir = standIn({ BLOCK_VALIDATE: "1" });
    const own = mkdtempSync(join(tmp, "tmpdir-"));
    const child = spawn(process.execPath, [BIN, "validate", ...awsArgs()], {
      env: { ...process.env, TMPDIR: own, PATH: `${dir}:${process.env.PATH ?? ""}` },
      stdio: ["ignore", "ignore", "ignore"],
    });
    const closed = new Promise<number | null>((r) => child.on("close", r));
    while (!existsSync(join(dir, "validating")) && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
    child.kill("SIGTERM");
    expect(await closed).toBe(143);
    expect(readdirSync(own).filter((f) => f.includes("arv-image"))).toEqual([]);
    expect((await run("pgrep", ["-af", dir])).stdout).toBe("");
  });
});

describe("an interrupt during packer build", () => {
  it.each(SIGNALS)("%s: Packer gets SIGINT or SIGTERM (never SIGHUP), cleans up, and arv-image exits 128+n after it", async (sig) => {
    const dir = standIn({ INTERRUPT: "1", CLEANUP_UNTIL: "release" });
    const r = start([...awsArgs(), "--skip-preflight", "--json"], { packerDir: dir });
    await r.until("Packer waits for the interrupt", () => existsSync(join(dir, "ready")));
    r.child.kill(sig);
    await r.until("Packer cleans up", () => existsSync(join(dir, "cleaning")));
    writeFileSync(join(dir, "release"), "");
    expect(await r.closed).toBe(EXIT[sig]);
    expect(existsSync(join(dir, sig === "SIGTERM" ? "got-TERM" : "got-INT"))).toBe(true);
    expect(existsSync(join(dir, "cleanup-done"))).toBe(true);
    const doc = JSON.parse(r.stdout()) as { ok: boolean; interrupted: string; cleanupReported: boolean; error: string; log: string };
    expect(doc).toMatchObject({ ok: false, interrupted: sig, cleanupReported: true });
    expect(doc.error).toContain("Packer finished its cleanup");
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    expect(r.stderr()).toContain(
      sig === "SIGHUP" ? "SIGHUP received (the terminal or ssh session closed) and passed to Packer as SIGINT" : `${sig} received and passed to Packer once`,
    );
    expect(readFileSync(doc.log, "utf8")).toContain("Deleting temporary keypair");
    await expectNothingLeft(r, [dir]);
  });

  it("SIGHUP with the terminal gone (stderr closed): arv-image still waits for Packer's cleanup, writes the whole log and exits 129", async () => {
    const dir = standIn({ INTERRUPT: "1", CLEANUP_UNTIL: "release" });
    const r = start([...awsArgs(), "--skip-preflight", "--json"], { packerDir: dir });
    await r.until("Packer waits for the interrupt", () => existsSync(join(dir, "ready")));
    // The terminal goes away: every later write to stderr fails (EPIPE).
    r.child.stderr.destroy();
    r.child.kill("SIGHUP");
    await r.until("Packer cleans up", () => existsSync(join(dir, "cleaning")));
    writeFileSync(join(dir, "release"), "");
    expect(await r.closed).toBe(129);
    expect(existsSync(join(dir, "cleanup-done"))).toBe(true);
    const doc = JSON.parse(r.stdout()) as { log: string; cleanupReported: boolean };
    expect(doc.cleanupReported).toBe(true);
    const log = readFileSync(doc.log, "utf8");
    expect(log).toContain("Deleting temporary keypair");
    expect(log).toContain("Cleanly cancelled builds after being interrupted.");
  });

  it("a Packer that ends without its cleanup is not said to have cleaned up: resources may be left, and the gc command", async () => {
    const dir = standIn({ INTERRUPT: "1", ON_INTERRUPT: "exit" });
    const r = start([...awsArgs(), "--skip-preflight", "--json"], { packerDir: dir });
    await r.until("Packer waits for the interrupt", () => existsSync(join(dir, "ready")));
    r.child.kill("SIGINT");
    expect(await r.closed).toBe(130);
    const doc = JSON.parse(r.stdout()) as { cleanupReported: boolean; error: string };
    expect(doc.cleanupReported).toBe(false);
    expect(interruptReports(r.stderr()), r.stderr()).toEqual(["interrupted (SIGINT)"]);
    expect(doc.error).toMatch(/WITHOUT reporting that its cleanup finished: .* may be left in region us-east-1/);
    expect(doc.error).not.toMatch(/after its cleanup|finished its cleanup/);
    expect(r.stderr()).toMatch(/arv-image gc --cloud aws .*--dry-run/);
    expect(r.stderr()).not.toMatch(/finished its cleanup/);
  });
});

describe("an interrupt after a successful packer build", () => {
  it.each(SIGNALS)("%s while untagging the AMI: the image id and the --json document are still printed, with what was left undone", async (sig) => {
    const replay = join(tmp, `aws-ok-${sig}.log`);
    writeFileSync(replay, AWS_OK.join("\n") + "\n");
    const dir = standIn({ REPLAY: replay });
    const emit = join(mkdtempSync(join(tmp, "emit-")), "zzzzz-image.yml");
    const before = requests;
    const r = start([...awsArgs(), "--skip-preflight", "--json", "--emit-config", emit, "--preflight-timeout", "300"], { packerDir: dir });
    await r.until("the untagging asked EC2", () => requests > before);
    r.child.kill(sig);
    expect(await r.closed).toBe(EXIT[sig]);
    const doc = JSON.parse(r.stdout()) as { ok: boolean; imageId: string; interrupted: string; undone: string[]; arvadosConfig: string };
    expect(doc).toMatchObject({ ok: true, imageId: "ami-0123456789abcdef0", interrupted: sig });
    expect(doc.undone.join("\n")).toMatch(/arv-image-expires tag from ami-0123456789abcdef0 .*aws ec2 delete-tags --region us-east-1 --resources ami-0123456789abcdef0/);
    expect(doc.undone.join("\n")).toContain(`--emit-config ${emit}`);
    expect(doc.arvadosConfig).toContain("ami-0123456789abcdef0");
    expect(existsSync(emit)).toBe(false);
    expect(r.stderr()).toContain("left undone");
    expect(interruptReports(r.stderr()), r.stderr()).toEqual([`interrupted (${sig})`]);
    expect(r.stderr()).toContain("ami-0123456789abcdef0");
    await expectNothingLeft(r, [dir]);
  });

  it("without --json the image id is on stdout", async () => {
    const replay = join(tmp, "aws-ok-plain.log");
    writeFileSync(replay, AWS_OK.join("\n") + "\n");
    const dir = standIn({ REPLAY: replay });
    const before = requests;
    const r = start([...awsArgs(), "--skip-preflight", "--preflight-timeout", "300"], { packerDir: dir });
    await r.until("the untagging asked EC2", () => requests > before);
    r.child.kill("SIGINT");
    expect(await r.closed).toBe(130);
    expect(r.stdout()).toBe("us-east-1 ami-0123456789abcdef0\n");
    expect(interruptReports(r.stderr()), r.stderr()).toEqual(["interrupted (SIGINT)"]);
  });
});
