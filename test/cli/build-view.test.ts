/**
 * The live view of `arv-image build` / `provision` as an operator sees it, replaying the
 * recorded Packer outputs (test/fixtures/packer-output) through the stand-in packer:
 * - in a real pseudo-terminal (util-linux `script`): the status line at chosen points of
 *   the replay (the stand-in pauses before a chosen line until the test lets it go on: no
 *   timing, whatever way the output is chunked), colour, the prefix dropped;
 * - through a pipe: time-stamped lines and no control sequence at all;
 * - the breakdown (stderr, the log, --json) against durations computed here from the
 *   recording's own timestamps; --log-format json lines, redaction included.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, interruptReports, REPO, runCli } from "../support/cli.js";
import { CONTROL, runInPty, screen, statusNow } from "../support/pty.js";
import { requireTool } from "../support/tools.js";

const FIXTURES = join(REPO, "test/fixtures/packer-output");
const CANARY = "CANARY-view-7c41d2-secret";
let tmp: string;

beforeAll(async () => {
  await requireTool("script", ["--version"]);
  tmp = mkdtempSync(join(tmpdir(), "arv-image-view-"));
  writeFileSync(join(tmp, "aws-secrets.sh"), `export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=${CANARY}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The AMI untagging after a successful AWS bake goes to a closed loopback port, never to AWS.
const ENV: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9" };
delete ENV.NO_COLOR;

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

const awsArgs = (out: string) => [
  "build",
  "--cloud",
  "aws",
  "--arvados-cluster-id",
  "zzzzz",
  "--public-key-file",
  EXAMPLE_KEY,
  "--aws-secrets-file",
  join(tmp, "aws-secrets.sh"),
  "--skip-preflight",
  "--out",
  out,
];
const outDir = () => join(mkdtempSync(join(tmp, "out-")), "b");
const withPath = (dir: string, extra: NodeJS.ProcessEnv = {}) => ({ ...ENV, ...extra, PATH: `${dir}:${process.env.PATH ?? ""}` });

function recording(name: string): string[] {
  return readFileSync(join(FIXTURES, name), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}
const tsOf = (line: string) => Number(line.slice(0, line.indexOf(",")));
/** 1-based number of the first line of a recording that contains `text`. */
const lineNo = (lines: string[], text: string) => lines.findIndex((l) => l.includes(text)) + 1;
/** Seconds between the lines of a recording that contain `from` and `to`. */
const between = (lines: string[], from: string, to: string) => tsOf(lines[lineNo(lines, to) - 1] as string) - tsOf(lines[lineNo(lines, from) - 1] as string);
const scriptsOf = (out: string) =>
  readdirSync(join(out, "scripts"))
    .filter((f) => /^\d+-.*\.sh$/.test(f))
    .sort();

/** aws-success.log's phases and scripts, from its timestamps. */
function awsExpected(): { phase: string; script?: string; seconds: number }[] {
  const l = recording("aws-success.log");
  return [
    { phase: "launching", seconds: between(l, "Prevalidating any provided VPC", "Using ssh communicator") },
    { phase: "waiting-for-ssh", seconds: between(l, "Using ssh communicator", "scripts/10-base.sh") },
    { phase: "provisioning", seconds: between(l, "scripts/10-base.sh", "Stopping the source instance") },
    { phase: "provisioning", script: "10-base.sh", seconds: between(l, "scripts/10-base.sh", "scripts/20-arvados.sh") },
    { phase: "provisioning", script: "20-arvados.sh", seconds: between(l, "scripts/20-arvados.sh", "Stopping the source instance") },
    { phase: "capturing", seconds: between(l, "Stopping the source instance", "Terminating the source AWS instance") },
    { phase: "cleaning-up", seconds: between(l, "Terminating the source AWS instance", "Build 'arvados-compute.amazon-ebs.compute' finished") },
  ];
}

const short = (s: number) => (s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`);

describe("on a terminal (a real pseudo-terminal)", () => {
  it("shows the phase and n/m script in a status line at chosen points, the scripts' output above it", async () => {
    const lines = recording("aws-success.log");
    // Pause before these lines; at each, the view shows everything before it.
    const points = [
      { before: "Connected to SSH!", last: "Waiting for SSH to become available...", status: /^▶ waiting for SSH \(\d+s\) · \d+s in all$/ },
      { before: "debconf: delaying", last: "Building dependency tree...", status: /^▶ provisioning 1\/10 10-base\.sh \(\d+s\) · \d+s in all$/ },
      { before: "Stopping the source instance", last: "installing crunch-run 3.0.0", status: /^▶ provisioning 3\/10 20-arvados\.sh \(\d+s\) · \d+s in all$/ },
      { before: "Terminating the source AWS instance", last: "Creating snapshot tags", status: /^▶ capturing \(\d+s\) · \d+s in all$/ },
    ].map((p) => ({ ...p, n: lineNo(lines, p.before) }));
    const dir = standIn({ REPLAY: join(FIXTURES, "aws-success.log"), PAUSE_AT: points.map((p) => p.n).join(" ") });
    const out = outDir();
    const run = runInPty(awsArgs(out), withPath(dir));
    for (const p of points) {
      await expect.poll(() => existsSync(join(dir, `paused.${p.n}`))).toBe(true);
      // The last line before the pause is on the screen with a status line drawn after it.
      await expect.poll(() => run.output().includes(p.last) && / in all$/.test(statusNow(run.output()))).toBe(true);
      expect(statusNow(run.output())).toMatch(p.status);
      writeFileSync(join(dir, `resume.${p.n}`), "");
    }
    expect(await run.exited).toBe(0);
    expect(scriptsOf(out)).toHaveLength(10);
    const raw = run.output();
    const shown = screen(raw);
    // The status line was redrawn in place: it never stays among the scrolled lines, and is gone at the end.
    expect(shown.filter((l) => l.startsWith("▶ "))).toEqual([]);
    // One build: the build-name prefix is dropped; Packer's lines otherwise as Packer wrote them.
    expect(shown).toContain("==> Provisioning with shell script: scripts/10-base.sh");
    expect(shown).toContain("    Reading package lists...");
    expect(raw).not.toContain("arvados-compute.amazon-ebs.compute: ");
    // Phases are marked in the scrollback too.
    expect(shown).toContain("-- provisioning 3/10 20-arvados.sh");
    // Colour on a terminal: a script's stderr stands out (yellow), steps are bold.
    expect(raw).toContain("\x1b[33m==> debconf: delaying package configuration, since apt-utils is not installed\x1b[39m");
    expect(raw).toContain("\x1b[1m==> Stopping the source instance...\x1b[22m");
    // The breakdown at the end.
    expect(shown.join("\n")).toMatch(/where the time went \(Packer's timestamps\), 7m14s in all/);
    expect(shown).toContainEqual(expect.stringMatching(/^ {6}3\/10 20-arvados\.sh +1m00s {2}<- slowest script$/));
  });

  it("Ctrl-C typed in the terminal: the notice on lines of its own, the status line turns to cleaning up, exit 130 after Packer's cleanup", async () => {
    const dir = standIn({ INTERRUPT: "1", CLEANUP_UNTIL: "release" });
    const run = runInPty(awsArgs(outDir()), withPath(dir));
    await expect.poll(() => existsSync(join(dir, "ready"))).toBe(true);
    await expect.poll(() => run.output().includes("waiting for interrupt") && / in all$/.test(statusNow(run.output()))).toBe(true);
    expect(statusNow(run.output())).toMatch(/^▶ provisioning 1\/10 10-base\.sh /);
    run.type("\x03");
    await expect.poll(() => existsSync(join(dir, "cleaning"))).toBe(true);
    await expect.poll(() => run.output().includes("Terminating the source AWS instance") && / in all$/.test(statusNow(run.output()))).toBe(true);
    expect(statusNow(run.output())).toMatch(/^▶ cleaning up /);
    writeFileSync(join(dir, "release"), "");
    expect(await run.exited).toBe(130);
    const shown = screen(run.output());
    expect(shown).toContainEqual(expect.stringMatching(/^arv-image: SIGINT received and passed to Packer once; Packer is cleaning up/));
    expect(shown).toContain("-- cleaning up");
    expect(shown.filter((l) => l.startsWith("▶ "))).toEqual([]);
    expect(interruptReports(run.output())).toEqual(["interrupted (SIGINT)"]);
  });

  it("NO_COLOR: no colour, the status line still redrawn in place", async () => {
    const dir = standIn({ REPLAY: join(FIXTURES, "gcp-success.log") });
    const run = runInPty(
      ["build", "--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "my-project", "--out", outDir()],
      withPath(dir, { NO_COLOR: "1" }),
    );
    expect(await run.exited).toBe(0);
    const raw = run.output();
    expect(raw).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(raw).toContain("\r\x1b[K");
    expect(screen(raw)).toContain("-- capturing");
    expect(screen(raw).filter((l) => l.startsWith("▶ "))).toEqual([]);
  });
});

describe("through a pipe (CI)", () => {
  it("plain lines stamped with the time since Packer's first line, the same phases, no control sequence", async () => {
    const dir = standIn({ REPLAY: join(FIXTURES, "aws-success.log") });
    const out = outDir();
    const r = await runCli([...awsArgs(out), "--json"], { env: withPath(dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/\x1b/);
    expect(r.stderr).not.toMatch(CONTROL);
    const l = recording("aws-success.log");
    const at = (text: string) => {
      const s = between(l, "Prevalidating any provided VPC", text);
      return `[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}]`;
    };
    const err = r.stderr.split("\n");
    expect(err).toContain(`${at("Using ssh communicator")} -- waiting for SSH`);
    expect(err).toContain(`${at("scripts/10-base.sh")} -- provisioning 1/10 10-base.sh`);
    expect(err).toContain(`${at("scripts/20-arvados.sh")} -- provisioning 3/10 20-arvados.sh`);
    expect(err).toContain(`${at("Stopping the source instance")} -- capturing`);
    expect(err).toContain(`${at("Terminating the source AWS instance")} -- cleaning up`);
    expect(err).toContain(`${at("0 upgraded")}     0 upgraded, 12 newly installed, 0 to remove and 0 not upgraded.`);
    // Every line of Packer's view carries a stamp.
    const first = err.findIndex((x) => x.includes("-- launching"));
    const last = err.findIndex((x) => x.startsWith("arv-image: where the time went"));
    expect(err.slice(first, last).filter((x) => x !== "" && !/^\[\d\d:\d\d\] /.test(x))).toEqual([]);

    // The breakdown: --json, stderr and the log agree with the recording's timestamps.
    const doc = JSON.parse(r.stdout) as { timings: unknown[]; log: string };
    expect(doc.timings).toEqual(awsExpected());
    for (const t of awsExpected()) {
      const label = t.script !== undefined ? `${t.script === "10-base.sh" ? "1" : "3"}/10 ${t.script}` : t.phase.replaceAll("-", " ").replace("ssh", "SSH");
      expect(r.stderr).toMatch(new RegExp(`^ {4,6}${label.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} +${short(t.seconds)}`, "m"));
    }
    expect(r.stderr).toContain("slowest script: 20-arvados.sh (1m00s)");
    const log = readFileSync(doc.log, "utf8");
    expect(log).toContain("arv-image: where the time went (Packer's timestamps), 7m14s in all:");
    expect(log).toContain("slowest script: 20-arvados.sh (1m00s)");
  });

  it("--log-level warn leaves out what is only progress, keeps warnings and the result on stdout", async () => {
    const dir = standIn({ REPLAY: join(FIXTURES, "aws-success.log") });
    const r = await runCli([...awsArgs(outDir()), "--log-level", "warn"], { env: withPath(dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("us-east-1 ami-0a1b2c3d4e5f60718\n");
    expect(r.stderr).toContain("debconf: delaying package configuration");
    expect(r.stderr).not.toContain("Reading package lists...");
    expect(r.stderr).not.toContain("where the time went");
  });

  it("provision: the null builder's SSH wait and the breakdown of a failed run, in --json too", async () => {
    const dir = standIn({ REPLAY: join(FIXTURES, "null-ssh-timeout-real.log"), EXIT: "1" });
    const key = join(tmp, "id_test");
    writeFileSync(key, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n", { mode: 0o600 });
    const r = await runCli(
      ["provision", "--ssh-host", "10.0.0.12", "--ssh-private-key-file", key, "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--out", outDir(), "--json"],
      { env: withPath(dir) },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[00:00] -- waiting for SSH");
    expect(r.stderr).toContain("[00:03] ==> Timeout waiting for SSH.");
    expect(r.stderr).toMatch(/^ {4}waiting for SSH +3s$/m);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, timings: [{ phase: "waiting-for-ssh", seconds: 3 }] });
  });
});

describe("--log-format json", () => {
  it("makes stderr one JSON event per line: phases, Packer's lines, timings, the result; secrets redacted", async () => {
    // A script that prints the secret (it reached Packer's environment): scrubbed like everywhere else.
    const replay = join(tmp, "leaky.log");
    const lines = recording("aws-success.log");
    const i = lineNo(lines, "Reading package lists...");
    lines.splice(i, 0, `${tsOf(lines[i] as string)},,ui,message,    arvados-compute.amazon-ebs.compute: AWS_SECRET_ACCESS_KEY=${CANARY}`);
    writeFileSync(replay, lines.join("\n") + "\n");
    const dir = standIn({ REPLAY: replay });
    const out = outDir();
    const r = await runCli([...awsArgs(out), "--log-format", "json"], { env: withPath(dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("us-east-1 ami-0a1b2c3d4e5f60718\n");
    const events = r.stderr
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { level: string; type: string; msg: string; phase?: string; script?: string; n?: number; m?: number; timings?: unknown });
    expect(events.length).toBeGreaterThan(40);
    for (const e of events) expect(e).toMatchObject({ level: expect.any(String), time: expect.any(String), type: expect.any(String), msg: expect.any(String) });
    expect(events).toContainEqual(expect.objectContaining({ type: "phase", phase: "provisioning", script: "20-arvados.sh", n: 3, m: 10 }));
    expect(events).toContainEqual(expect.objectContaining({ type: "packer", kind: "output", msg: "Reading package lists..." }));
    expect(events).toContainEqual(expect.objectContaining({ type: "packer", level: "warn", msg: "debconf: delaying package configuration, since apt-utils is not installed" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "message", msg: "build directory " + out }));
    expect(events.find((e) => e.type === "timings")?.timings).toEqual(awsExpected());
    expect(events.at(-1)).toMatchObject({ type: "result", ok: true, imageId: "ami-0a1b2c3d4e5f60718" });
    expect(events).toContainEqual(expect.objectContaining({ msg: "AWS_SECRET_ACCESS_KEY=<redacted>" }));
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    const log = readdirSync(out).find((f) => f.startsWith("packer-") && f.endsWith(".log"));
    expect(readFileSync(join(out, log ?? ""), "utf8")).not.toContain(CANARY);
  });

  it("a usage error is a JSON event too", async () => {
    const r = await runCli(["build", "--log-format", "json", "--cloud", "aws", "--aws-region", "nowhere"]);
    expect(r.code).toBe(2);
    const events = r.stderr
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { level: string; type: string; exitCode: number; msg: string });
    expect(events.at(-1)).toMatchObject({ level: "error", type: "error", exitCode: 2 });
    expect(events.at(-1)?.msg).toContain('--aws-region "nowhere"');
  });
});
