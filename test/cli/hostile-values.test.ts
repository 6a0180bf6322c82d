/**
 * No "internal error" for anything a user can type: over a fast-check sample of hostile
 * values for every flag, resolution and render run in-process (the real render pipeline,
 * writing into a scratch directory) and nothing escapes but the typed usage (exit 2) and
 * environment (exit 1) errors. A few real CLI runs check the cases that used to print a
 * stack trace.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentError, UsageError } from "../../dist/errors.js";
import { FLAGS } from "../../dist/config/flags.js";
import { renderPipeline } from "../../dist/pipeline/render.js";
import { resolveConfig } from "../../dist/config/resolve.js";
import { freeText } from "../support/arbitrary.js";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { rawOptions } from "../support/resolve.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-hostile-"));
  mkdirSync(join(dir, "ro"));
  chmodSync(join(dir, "ro"), 0o555);
});
afterAll(() => {
  chmodSync(join(dir, "ro"), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

/** Values that have broken command-line tools before: numbers at and past their limits, URLs that do not parse, special files. */
const CONSTANTS = [
  "",
  " ",
  "-",
  "--",
  "-1",
  "0",
  "00",
  "1e9",
  "99999999999999999999",
  "NaN",
  "Infinity",
  "0x10",
  "１２",
  "8.5",
  "/",
  ".",
  "..",
  "/proc/self/mem",
  "/proc/self/environ",
  "/dev/zero",
  "/dev/stdin",
  "/sys/kernel",
  "/etc/shadow",
  "~/x",
  "\\\\server\\share",
  "http://a:99999",
  "https://a:0/",
  "http://a..b/",
  "http://[::1/",
  "arvados-apt=http://a:99999",
  "arvados-apt=https://x:65536/y",
  "docker-apt=http://[zz]/",
  "{{timestamp}}",
  "${jndi:x}",
  "%{x}",
  "$(reboot)",
  "a=b=c",
  "=",
  "=http://x/",
  "a,b,,c",
  ",",
  "us-east-1,us-east-1",
  "fe80::1%eth0",
  "::",
  "0.0.0.0",
  "255.255.255.255",
  "::ffff:1.2.3.4",
  "1.2.3.4 a..b",
  "10.0.0.1\tname",
  "1G",
  "0G",
  "999999999G",
  "1T",
  "256M ",
  "🙂",
  "\u0000",
  "a\u0000b",
];
const HOSTILE = fc.oneof(freeText, fc.constantFrom(...CONSTANTS));

const ROWS = FLAGS.filter((f) => (f.kind === "value" || f.kind === "list") && (f.commands as readonly string[]).includes("render"));
const CLOUD_BASE: Record<string, string[]> = {
  aws: ["--cloud", "aws"],
  azure: ["--cloud", "azure", "--azure-resource-group", "rg", "--azure-sku", "12-gen2"],
  gcp: ["--cloud", "gcp", "--gcp-project-id", "my-project"],
};
const progress = { stderr: () => {} };
/**
 * --out's value: the listed special paths as they are (each is refused before anything is
 * written), anything else inside the scratch directory, so a random value never writes into
 * the repository or /.
 */
function outValue(value: string, scratch: string, asIs: boolean): string {
  if (asIs && ["/", "/proc/self/mem", "/proc/self/environ", "/dev/zero", "/dev/stdin", "/sys/kernel", "/etc/shadow"].includes(value)) return value;
  return join(scratch, value.startsWith("/") ? "." + value : value);
}

describe("hostile values for every flag", () => {
  it.each(ROWS.map((f) => [f.name, f] as const))("--%s: usage or environment errors only", async (_name, f) => {
    await fc.assert(
      fc.asyncProperty(HOSTILE, fc.boolean(), async (value, asOut) => {
        const out = join(mkdtempSync(join(dir, "r-")), "build");
        const args = [...(CLOUD_BASE[f.cloud ?? "aws"] ?? []), "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];
        let raw: Record<string, unknown>;
        try {
          raw = rawOptions("render", [...args, "--out", out, `--${f.name}`, f.name === "out" ? outValue(value, out, asOut) : value]);
        } catch {
          return; // commander's syntax errors: exit 2 in main (bad-input.test.ts)
        }
        try {
          await renderPipeline(raw, progress);
        } catch (e) {
          if (!(e instanceof UsageError || e instanceof EnvironmentError)) throw e;
          for (const p of e instanceof UsageError ? e.problems : [e.message]) expect(p).not.toMatch(/\n\s+at /);
        }
      }),
      // Every constant for every flag, then a fresh random draw.
      { numRuns: CONSTANTS.length + 8, examples: CONSTANTS.map((v) => [v, true] as [string, boolean]) },
    );
  });
});

describe("hostile values for the flags of other commands (resolution)", () => {
  const OTHER = FLAGS.filter((f) => (f.kind === "value" || f.kind === "list") && !(f.commands as readonly string[]).includes("render"));
  it.each(OTHER.map((f) => [f.name, f] as const))("--%s: resolution returns problems, never throws", async (_name, f) => {
    const command = f.commands[0] as Parameters<typeof rawOptions>[0];
    await fc.assert(
      fc.asyncProperty(HOSTILE, async (value) => {
        const base = command === "gc" ? ["--cloud", "aws"] : ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];
        let raw: Record<string, unknown>;
        try {
          raw = rawOptions(command, [...base, `--${f.name}`, value]);
        } catch {
          return;
        }
        const r = await resolveConfig({ command, raw, detectedPackerVersion: "1.6.6" });
        if (!r.ok) for (const p of r.problems) expect(p).not.toMatch(/[\u0000-\u001f]/);
      }),
      { numRuns: CONSTANTS.length + 8, examples: CONSTANTS.map((v) => [v] as [string]) },
    );
  });
});

describe("what used to end in a stack trace (real CLI)", () => {
  const aws = ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];
  it.each([
    ["a mirror URL with a port over 65535", ["--mirror", "arvados-apt=http://a:99999", "--out", "OUT"], 2, "--mirror"],
    ["--out in a read-only directory", ["--out", "RO/build"], 2, "--out"],
    ["--out under /proc", ["--out", "/proc/arv-image-build"], 2, "--out"],
    ["--out in /dev/null", ["--out", "/dev/null/x"], 2, "--out"],
    ["--public-key-file /proc/self/mem", ["--public-key-file", "/proc/self/mem", "--out", "OUT"], 2, "--public-key-file"],
  ] as const)("%s", async (_name, extra, code, flag) => {
    const args = extra.map((a) => a.replace(/^OUT$/, join(dir, `o-${Math.random().toString(36).slice(2)}`)).replace(/^RO\//, join(dir, "ro") + "/"));
    const r = await runCli(["render", ...aws, ...args]);
    // root ignores the read-only mode bits: then the render simply succeeds.
    if (process.getuid?.() === 0 && extra[1] === "RO/build") expect([0, 2]).toContain(r.code);
    else expect(r.code, r.stderr).toBe(code);
    if (r.code !== 0) expect(r.stderr).toContain(flag);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  // Node >= 22 made a missing TMPDIR (its compile cache went there) and hung at full CPU with
  // TMPDIR under /proc: arv-image now keeps that cache in its own cache home (user-dirs.ts).
  it('an unusable TMPDIR is said to be one, not "packer was not found", and a missing one is not made', async () => {
    for (const tmp of [join(dir, "no-such-tmp"), "/proc"]) {
      const r = await runCli(["validate", ...aws.filter((a, i, all) => a !== "--packer-version" && all[i - 1] !== "--packer-version")], {
        env: { ...process.env, TMPDIR: tmp, XDG_CACHE_HOME: join(dir, "cache-" + Math.random().toString(36).slice(2)) },
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("TMPDIR");
      expect(r.stderr).not.toContain("packer was not found");
      expect(r.stderr).not.toContain("internal error");
    }
    expect(existsSync(join(dir, "no-such-tmp"))).toBe(false);
  });

  it("a cache home where no directory can be made (under /proc, a file) costs the cache, nothing else", async () => {
    writeFileSync(join(dir, "a-file"), "");
    for (const cache of ["/proc/arv-image-test", join(dir, "a-file")]) {
      const out = join(dir, `cache-out-${Math.random().toString(36).slice(2)}`);
      // No --packer-version: the version of the Packer on the PATH goes to the cache (or not).
      const r = await runCli(["render", ...aws.filter((a, i, all) => a !== "--packer-version" && all[i - 1] !== "--packer-version"), "--out", out], {
        env: { ...process.env, XDG_CACHE_HOME: cache },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(out, "variables.pkr.hcl"))).toBe(true);
    }
  });

  it("a --packer path with nothing there is a usage error naming it (exit 2), with the other flags' problems", async () => {
    const r = await runCli([
      "validate",
      ...aws.filter((a, i, all) => a !== "--packer-version" && all[i - 1] !== "--packer-version"),
      "--packer",
      join(dir, "no-packer"),
      "--aws-region",
      "nowhere",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--packer ${JSON.stringify(join(dir, "no-packer"))}: no executable file there`);
    expect(r.stderr).toContain('--aws-region "nowhere"');
  });

  it("--out . in an empty directory leaves the caller's directory alone", async () => {
    const cwd = mkdtempSync(join(dir, "cwd-"));
    const r = await runCli(["render", ...aws, "--out", "."], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out ".": is the current directory');
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.includes(".arv-image-"))).toEqual([]);
  });

  it("leaves no temporary directory behind after a refused --out", () => {
    expect(readdirSync(dir).filter((n) => n.includes(".arv-image-"))).toEqual([]);
  });
});
