/**
 * The `arv-image gc` command a failed build prints is paste-safe and complete: it is run
 * here exactly as printed, through `bash -c`, first with an `arv-image` that records the
 * argument vector it got (every value must arrive intact, nothing may be executed), then
 * with the real CLI against the loopback EC2 server (test/support/ec2, SigV4 verified), with
 * the credentials the build used. The failed build is the STAND-IN packer's
 * (test/support/stand-in-packer): real Packer cannot fail a cloud build offline.
 */
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, EXAMPLE_KEY, interruptReports, REPO, run, runCli } from "../support/cli.js";
import { startEc2Server, type Ec2Server } from "../support/ec2/server.mjs";

const AK = "AKIAGCHINTTEST000001";
const SK = "gc-hint-canary-secret-0a1b";
let tmp: string;
let ec2: Ec2Server;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-gc-hint-"));
  const region = (name: string) => ({ regionName: name, availabilityZones: [{ zoneName: `${name}a`, zoneId: `${name}-az1`, state: "available" }] });
  ec2 = await startEc2Server({ state: { regions: ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"].map(region) }, credentials: { accessKeyId: AK, secretAccessKey: SK } });
});
afterAll(async () => {
  await ec2.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The caller's environment without any AWS credentials or settings of its own. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return { ...env, HOME: mkdtempSync(join(tmp, "home-")), AWS_EC2_METADATA_DISABLED: "true", ...extra };
}

describe("the gc hint after a failed build", () => {
  it("is shell-quoted and carries the build's region, profile and secrets file: bash runs it as printed, with every value intact", async () => {
    // A directory and a profile name full of what a shell would act on.
    const hostile = join(tmp, `it's a $HOME dir; $(touch pwned) \`id\``);
    mkdirSync(hostile);
    const secrets = join(hostile, "aws secrets.sh");
    writeFileSync(secrets, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=${SK}\n`);
    const profile = "ops $(touch pwned) 'x'";
    const standIn = mkdtempSync(join(tmp, "stand-in-"));
    copyFileSync(join(REPO, "test/support/stand-in-packer/packer"), join(standIn, "packer"));
    writeFileSync(join(standIn, "scenario"), 'EXIT="3"\n');
    const r = await runCli(
      [
        "build",
        "--cloud",
        "aws",
        "--arvados-cluster-id",
        "zzzzz",
        "--public-key-file",
        EXAMPLE_KEY,
        "--aws-secrets-file",
        secrets,
        "--aws-profile",
        profile,
        "--aws-region",
        "us-west-2",
        "--aws-ami-regions",
        "eu-west-1,eu-central-1",
        "--skip-preflight",
        "--out",
        join(mkdtempSync(join(tmp, "o-")), "b"),
      ],
      { env: cleanEnv({ PATH: `${standIn}:${process.env.PATH ?? ""}`, AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9" }) },
    );
    expect(r.code, r.stderr).toBe(3);
    const line = /^ {2}(arv-image gc .*)$/m.exec(r.stderr)?.[1];
    expect(line, r.stderr).toBeDefined();
    const cmd = line as string;
    const buildId = /tagged arv-image-build-id=(arvimg-\d{14}-[0-9a-f]{8});/.exec(r.stderr)?.[1];
    expect(buildId, r.stderr).toBeDefined();

    // 1. Paste-safe: bash parses it into exactly the intended words and runs nothing else.
    const bin = mkdtempSync(join(tmp, "bin-"));
    const got = join(bin, "argv");
    writeFileSync(join(bin, "arv-image"), `#!/bin/bash\nprintf '%s\\0' "$@" >"${got}"\n`);
    chmodSync(join(bin, "arv-image"), 0o755);
    const cwd = mkdtempSync(join(tmp, "cwd-"));
    const pasted = await run("bash", ["-c", cmd], { cwd, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } });
    expect(pasted.code, pasted.stderr).toBe(0);
    expect(readFileSync(got, "utf8").split("\0").slice(0, -1)).toEqual([
      "gc",
      "--cloud",
      "aws",
      "--aws-region",
      "us-west-2",
      "--aws-ami-regions",
      "eu-west-1,eu-central-1",
      "--aws-secrets-file",
      secrets,
      "--aws-profile",
      profile,
      "--build-id",
      buildId,
      "--dry-run",
      "--older-than",
      "0m",
    ]);
    expect(existsSync(join(cwd, "pwned"))).toBe(false);
    expect(existsSync(join(hostile, "pwned"))).toBe(false);

    // 2. Complete: the real gc, run as printed, reaches EC2 with the build's credentials.
    writeFileSync(join(bin, "arv-image"), `#!/bin/bash\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    const real = await run("bash", ["-c", cmd], { cwd, env: cleanEnv({ PATH: `${bin}:${process.env.PATH ?? ""}`, AWS_ENDPOINT_URL_EC2: ec2.url }) });
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/nothing to sweep in us-west-2 \(and eu-west-1, eu-central-1\)/);
    expect(ec2.requests.some((q) => q.status === 200)).toBe(true);
    expect(real.stdout + real.stderr).not.toContain(SK);
  });
});

describe("arv-image gc without credentials", () => {
  it("says how to give them, as preflight does", async () => {
    const r = await runCli(["gc", "--cloud", "aws", "--dry-run"], { env: cleanEnv({ AWS_ENDPOINT_URL_EC2: ec2.url }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not load credentials/);
    expect(r.stderr).toMatch(/Give --aws-profile NAME .*or --aws-secrets-file FILE exporting AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it("with credentials EC2 refuses, says to check them (not to give some), in one sentence each", async () => {
    const wrong = join(tmp, "wrong-secrets.sh");
    writeFileSync(wrong, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=not-the-secret-0000\n`);
    const r = await runCli(["gc", "--cloud", "aws", "--dry-run", "--aws-secrets-file", wrong], { env: cleanEnv({ AWS_ENDPOINT_URL_EC2: ec2.url }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/The credentials were refused: check the access key and secret/);
    expect(r.stderr).not.toMatch(/Give --aws-profile/);
    expect(r.stderr).not.toMatch(/\.\./);
    expect(r.stderr).not.toContain("not-the-secret-0000");
  });
});

describe("arv-image gc interrupted", () => {
  it("stops waiting at once on Ctrl-C (a cloud call that does not answer, a poll that would last minutes) and exits 130", async () => {
    const past = new Date(Date.now() - 3 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const region = { regionName: "us-east-1", availabilityZones: [{ zoneName: "us-east-1a", zoneId: "use1-az1", state: "available" }] };
    const leftover = {
      instanceId: "i-0f000000000000001",
      imageId: "ami-0d0000000000000a2",
      instanceType: "m5.large",
      availabilityZone: "us-east-1a",
      privateIpAddress: "127.0.0.1",
      state: "running",
      launchTime: past,
      tags: [
        { key: "arv-image-build-id", value: "arvimg-failed" },
        { key: "arv-image-expires", value: past },
      ],
    };
    const server = await startEc2Server({
      state: { regions: [region], instances: [leftover] },
      credentials: { accessKeyId: AK, secretAccessKey: SK },
      faults: { TerminateInstances: { hang: true } },
    });
    try {
      const secrets = join(tmp, "gc-secrets.sh");
      writeFileSync(secrets, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=${SK}\n`);
      const child = spawn(process.execPath, [BIN, "gc", "--cloud", "aws", "--aws-secrets-file", secrets], {
        env: cleanEnv({ AWS_ENDPOINT_URL_EC2: server.url }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.stdout.resume();
      const closed = new Promise<number | null>((r) => child.on("close", r));
      // The event, not a duration: the terminate call has reached EC2 and hangs there.
      while (!server.requests.some((q) => q.action === "TerminateInstances") && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
      child.kill("SIGINT");
      expect(await closed, stderr).toBe(130);
      expect(interruptReports(stderr), stderr).toEqual(["interrupted (SIGINT)"]);
    } finally {
      await server.close();
    }
  });
});
