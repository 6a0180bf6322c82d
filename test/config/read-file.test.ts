/**
 * Every file a user names is read through one bounded, non-blocking reader: /dev/zero, a FIFO,
 * a directory and an oversized regular file are refused for every file flag (and for a
 * file:// DispatchPrivateKey), with a problem naming the flag, instead of reading until memory
 * runs out or hanging on the FIFO. vitest's own time limit is the guard against a hang.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAGS } from "../../dist/config/flags.js";
import { LIMITS, readUserFile } from "../../dist/config/read-file.js";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { problemsOf } from "../support/resolve.js";

let dir: string;
const bad: Record<string, string> = {};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-read-"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  mkdirSync(join(dir, "a-dir"));
  // Sparse: larger than any limit without using the disk.
  writeFileSync(join(dir, "huge"), "");
  truncateSync(join(dir, "huge"), LIMITS.config + 1);
  Object.assign(bad, { "/dev/zero": "/dev/zero", fifo: join(dir, "fifo"), directory: join(dir, "a-dir"), "oversized file": join(dir, "huge") });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY];
/** [flag, command, args naming PATH] for every flag that names a file arv-image (or a program it runs) reads. */
const FILE_FLAGS: [string, "render" | "provision", (path: string) => string[]][] = [
  ["--public-key-file", "render", (p) => ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", p]],
  ["--hosts-file", "render", (p) => [...base, "--hosts-file", p]],
  ["--arvados-config", "render", (p) => ["--cloud", "aws", "--arvados-config", p]],
  ["--json-file", "render", (p) => ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--json-file", p]],
  ["--aws-secrets-file", "render", (p) => [...base, "--aws-secrets-file", p]],
  [
    "--azure-secrets-file",
    "render",
    (p) => [
      "--cloud",
      "azure",
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--azure-resource-group",
      "rg",
      "--azure-sku",
      "12-gen2",
      "--azure-secrets-file",
      p,
    ],
  ],
  [
    "--gcp-account-file",
    "render",
    (p) => ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "my-project", "--gcp-account-file", p],
  ],
  ["--ssh-private-key-file", "provision", (p) => ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--ssh-host", "10.0.0.1", "--ssh-private-key-file", p]],
];

describe("user-named files", () => {
  it("the table covers every flag that takes a <path> to read (--packer is run, --workdir is on the VM)", () => {
    const paths = FLAGS.filter((f) => f.arg === "<path>" && f.name !== "packer" && f.completes !== "nothing").map((f) => `--${f.name}`);
    expect(FILE_FLAGS.map(([f]) => f).sort()).toEqual(paths.sort());
  });

  for (const [flag, command, args] of FILE_FLAGS) {
    it.each(["/dev/zero", "fifo", "directory", "oversized file"])(`${flag} refuses a %s`, async (kind) => {
      const path = bad[kind]!;
      const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
      const problems = await problemsOf(command, [...(command === "render" ? ["--out", out] : []), "--packer-version", "1.6.6", ...args(path)]);
      const p = problems.find((x) => x.includes(flag) && x.includes(JSON.stringify(path)));
      expect(p, problems.join("\n")).toBeDefined();
      expect(p).toMatch(kind === "oversized file" ? /too large/ : /not a regular file/);
    });
  }

  it("a file:// DispatchPrivateKey naming /dev/zero, a FIFO or a huge file is refused", async () => {
    for (const path of Object.values(bad)) {
      const cfg = join(dir, `config-${Math.random().toString(36).slice(2)}.yml`);
      writeFileSync(cfg, `Clusters:\n  zzzzz:\n    Containers:\n      DispatchPrivateKey: "file://${path}"\n`);
      const problems = await problemsOf("render", ["--out", join(dir, "never"), "--cloud", "aws", "--arvados-config", cfg]);
      expect(problems.join("\n")).toMatch(/--arvados-config .*DispatchPrivateKey .*cannot be read \((is .*not a regular file|.*too large)/);
    }
  });

  it("reads a regular file up to its limit, and not a byte more", () => {
    const f = join(dir, "exact");
    writeFileSync(f, "x".repeat(100));
    const ok = readUserFile(f, 100);
    expect(ok.ok && ok.data.length).toBe(100);
    expect(readUserFile(f, 99)).toEqual({ ok: false, problem: expect.stringMatching(/too large/) });
    // /proc files say they are empty; the read is bounded all the same.
    expect(readUserFile("/proc/self/environ", 10)).toEqual({ ok: false, problem: expect.stringMatching(/too large/) });
  });

  it("the real CLI returns promptly on a FIFO, exit 2, naming the flag", async () => {
    const r = await runCli(["render", "--out", join(dir, "never"), "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", bad.fifo!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--public-key-file ${JSON.stringify(bad.fifo)}: is a named pipe (FIFO), not a regular file`);
    expect(r.stderr).not.toContain("internal error");
  });
});
