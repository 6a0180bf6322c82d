/**
 * Secrets files: run in a separate bash with an empty environment; exports only;
 * never override flags; values never reach stdout, stderr, config --json or any
 * rendered file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { listFiles } from "../support/tools.js";

const AWS_CANARY = "CANARY-aws-7f3c9e1d-secret";
const AZ_CANARY = "CANARY-azure-0b4d2a8e-secret";
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-secrets-"));
  writeFileSync(
    join(dir, "aws.sh"),
    [
      "# a build.sh-era secrets file",
      "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE",
      `export AWS_SECRET_ACCESS_KEY=${AWS_CANARY}`,
      "export AWS_DEFAULT_REGION=eu-west-1   # must not beat --aws-region",
      `NOT_EXPORTED=${AWS_CANARY}-plain`,
      `echo "the file talks: $AWS_SECRET_ACCESS_KEY"`,
      `echo "and on stderr: $AWS_SECRET_ACCESS_KEY" >&2`,
      // build.sh sourced the file, so it could override flags; here it cannot.
      "AWS_REGION_FLAG=ap-south-1; ARVADOS_CLUSTER_ID=yyyyy; export ARVADOS_CLUSTER_ID",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "azure.sh"),
    [
      "export ARM_CLIENT_ID=00000000-0000-0000-0000-000000000001",
      `export ARM_CLIENT_SECRET='${AZ_CANARY}'`,
      "export ARM_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000002",
      "export ARM_TENANT_ID=00000000-0000-0000-0000-000000000003",
      // The caller's environment must not be visible inside.
      'if [ -n "${HOME:-}" ] || [ -n "${LEAKED:-}" ]; then export SAW_CALLER_ENV=yes; fi',
      "",
    ].join("\n"),
  );
  // A broken file whose broken line holds the secret: bash would echo that line.
  writeFileSync(join(dir, "broken.sh"), `export AWS_SECRET_ACCESS_KEY=${AWS_CANARY} (\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const aws = () => [
  "--arvados-cluster-id",
  "zzzzz",
  "--public-key-file",
  EXAMPLE_KEY,
  "--aws-secrets-file",
  join(dir, "aws.sh"),
  "--aws-region",
  "us-west-2",
  "--packer-version",
  "1.6.6",
];
const azure = () => [
  "--arvados-cluster-id",
  "zzzzz",
  "--public-key-file",
  EXAMPLE_KEY,
  "--azure-secrets-file",
  join(dir, "azure.sh"),
  "--azure-resource-group",
  "rg",
  "--azure-sku",
  "12-gen2",
  "--packer-version",
  "1.6.6",
];

function expectNoCanary(...texts: string[]): void {
  for (const t of texts) {
    expect(t).not.toContain(AWS_CANARY);
    expect(t).not.toContain(AZ_CANARY);
  }
}

describe("secrets files", () => {
  it("config shows exported names as <redacted>, with their source, and nothing else of them", async () => {
    const r = await runCli(["config", ...aws(), "--json"], { env: { ...process.env, LEAKED: "from-caller" } });
    expect(r.code).toBe(0);
    expectNoCanary(r.stdout, r.stderr);
    const doc = JSON.parse(r.stdout);
    expect(doc.secrets).toEqual([
      {
        flag: "--aws-secrets-file",
        file: join(dir, "aws.sh"),
        source: "secrets file",
        // A region is not a secret (src/secrets.ts decides per variable); a name it does not
        // know, exported by a secrets file, is.
        variables: { ARVADOS_CLUSTER_ID: "<redacted>", AWS_ACCESS_KEY_ID: "<redacted>", AWS_DEFAULT_REGION: "eu-west-1", AWS_SECRET_ACCESS_KEY: "<redacted>" },
      },
    ]);
    // Flags win: the file's region and cluster id change nothing.
    expect(doc.values["aws-region"]).toEqual({ value: "us-west-2", source: "flag" });
    expect(doc.values["arvados-cluster-id"]).toEqual({ value: "zzzzz", source: "flag" });
    expect(r.stderr).toMatch(/exports a region; it is ignored/);
  });

  it("runs the file with an empty environment", async () => {
    const r = await runCli(["config", ...azure(), "--json"], { env: { ...process.env, LEAKED: "from-caller" } });
    expect(r.code).toBe(0);
    expectNoCanary(r.stdout, r.stderr);
    const vars = JSON.parse(r.stdout).secrets[0].variables;
    expect(Object.keys(vars)).toEqual(["ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_SUBSCRIPTION_ID", "ARM_TENANT_ID"]);
  });

  it("human config output carries no secret", async () => {
    const r = await runCli(["config", ...aws()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/AWS_SECRET_ACCESS_KEY\s+<redacted>\s+\(secrets file /);
    expectNoCanary(r.stdout, r.stderr);
  });

  it.each([
    ["aws", aws],
    ["azure", azure],
  ])("render (%s) writes no secret into any file", async (_cloud, args) => {
    const out = join(mkdtempSync(join(dir, "out-")), "b");
    const r = await runCli(["render", ...args(), "--out", out]);
    expect(r.code).toBe(0);
    expectNoCanary(r.stdout, r.stderr);
    const files = listFiles(out);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expectNoCanary(readFileSync(join(out, f), "utf8"));
  });

  it("a file that fails is a clear error that does not echo its content", async () => {
    const r = await runCli(["config", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-secrets-file", join(dir, "broken.sh")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--aws-secrets-file");
    expect(r.stderr).toMatch(/bash exited with status \d+/);
    expectNoCanary(r.stdout, r.stderr);
  });

  it("runs the file with a fixed PATH: a program in the caller's directory is never found", async () => {
    const cwd = mkdtempSync(join(dir, "cwd-"));
    const marker = join(cwd, "ran");
    // A program named like a command, in the directory arv-image is run from.
    writeFileSync(join(cwd, "aws-vault"), `#!/bin/sh\n: >"${marker}"\n`, { mode: 0o755 });
    const seen = join(cwd, "path-seen");
    const file = join(cwd, "secrets.sh");
    writeFileSync(file, `printf %s "$PATH" >"${seen}"\naws-vault || true\nexport AWS_ACCESS_KEY_ID=AKIAEXAMPLE\n`);
    const r = await runCli(["config", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-secrets-file", file, "--json"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(seen, "utf8")).toBe("/usr/local/bin:/usr/bin:/bin");
    expect(existsSync(marker)).toBe(false);
    // PATH is arv-image's, not an export of the file: it never reaches Packer's environment.
    expect(Object.keys(JSON.parse(r.stdout).secrets[0].variables)).toEqual(["AWS_ACCESS_KEY_ID"]);
  });

  it("a file with CRLF line endings is a usage error naming the flag, the file and the line endings", async () => {
    const file = join(dir, "windows.sh");
    writeFileSync(file, `export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\r\nexport AWS_SECRET_ACCESS_KEY=${AWS_CANARY}\r\n`);
    for (const [flag, extra] of [
      ["--aws-secrets-file", ["--cloud", "aws"]],
      ["--azure-secrets-file", ["--cloud", "azure", "--azure-resource-group", "rg", "--azure-sku", "12-gen2"]],
    ] as const) {
      const r = await runCli(["config", ...extra, "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, flag, file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${flag} "${file}"`);
      expect(r.stderr).toMatch(/Windows \(CRLF\) line endings/);
      expectNoCanary(r.stdout, r.stderr);
    }
  });
});
