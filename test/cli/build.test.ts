/**
 * `arv-image validate` with Debian's real Packer 1.6.6, and `arv-image build` driving a
 * STAND-IN packer (test/support/stand-in-packer/packer) for the three things real Packer
 * cannot do offline here: replay a successful cloud build's machine-readable output,
 * fail with a chosen exit code, and be interrupted mid-build while it "cleans up".
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { BIN, EXAMPLE_KEY, interruptReports, REPO, run, runCli, type RunResult } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { BuildView } from "../../dist/packer/build-view.js";
import { PackerStream } from "../../dist/packer/stream.js";

const CASES = JSON.parse(readFileSync(join(REPO, "test/golden/cases.json"), "utf8")) as Record<string, string[]>;
const CANARY = "CANARY-build-3e9a1f-secret";
let tmp: string;

beforeAll(async () => {
  await requireTool("packer", ["version"]);
  tmp = mkdtempSync(join(tmpdir(), "arv-image-build-"));
  writeFileSync(join(tmp, "aws-secrets.sh"), `export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=${CANARY}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A directory holding a copy of the stand-in packer and its scenario. */
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

function recording(name: string, lines: string[]): string {
  const p = join(tmp, name);
  writeFileSync(p, lines.join("\n") + "\n");
  return p;
}

const T = "1700000000";
const AWS_OK = [
  `${T},,ui,say,==> amazon-ebs.compute: Prevalidating AMI Name: arvados-zzzzz-compute-20261123093000`,
  `${T},,ui,message,    amazon-ebs.compute: Reading package lists...`,
  `${T},amazon-ebs.compute,artifact-count,1`,
  `${T},amazon-ebs.compute,artifact,0,builder-id,mitchellh.amazonebs`,
  `${T},amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0%!(PACKER_COMMA)eu-west-1:ami-0fedcba9876543210`,
  `${T},amazon-ebs.compute,artifact,0,string,AMIs were created:\\nus-east-1: ami-0123456789abcdef0\\neu-west-1: ami-0fedcba9876543210\\n`,
  `${T},amazon-ebs.compute,artifact,0,files-count,0`,
  `${T},amazon-ebs.compute,artifact,0,end`,
  // a post-processor repeating the same artifact
  `${T},amazon-ebs.compute,artifact,1,builder-id,mitchellh.amazonebs`,
  `${T},amazon-ebs.compute,artifact,1,id,us-east-1:ami-0123456789abcdef0%!(PACKER_COMMA)eu-west-1:ami-0fedcba9876543210`,
  `${T},amazon-ebs.compute,artifact,1,end`,
  `${T},,ui,say,Build 'amazon-ebs.compute' finished after 21 minutes 3 seconds.`,
];
const AZURE_OK = [
  `${T},,ui,say,==> azure-arm.compute: Capturing image ...`,
  `${T},azure-arm.compute,artifact,0,builder-id,Azure.ResourceManagement.VMImage`,
  `${T},azure-arm.compute,artifact,0,id,/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/arvados-images/providers/Microsoft.Compute/images/zzzzz-compute-v1795000000`,
  `${T},azure-arm.compute,artifact,0,end`,
];
const GCP_OK = [
  `${T},googlecompute.compute,artifact,0,builder-id,packer.googlecompute`,
  `${T},googlecompute.compute,artifact,0,id,arvados-zzzzz-compute-20261123093000`,
  `${T},googlecompute.compute,artifact,0,end`,
];
const NO_ARTIFACT = [`${T},,ui,say,Build 'amazon-ebs.compute' finished after 1 second.`];

// After a successful AWS bake, build removes the gc expiry tag from the new AMI through EC2:
// here that call goes to a closed loopback port (and fails at once with a warning), never
// to AWS. The real call is tested against the loopback EC2 server in test/e2e.
process.env.AWS_ENDPOINT_URL_EC2 = "http://127.0.0.1:9";

// These tests are about running Packer (a stand-in here), so they leave out the preflight,
// which would ask the real clouds; test/cli/preflight.test.ts covers build's preflight
// against loopback servers.
const awsArgs = () => ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-secrets-file", join(tmp, "aws-secrets.sh"), "--skip-preflight"];

async function build(dir: string, args: string[]): Promise<RunResult & { out: string }> {
  const out = join(mkdtempSync(join(tmp, "out-")), "b");
  const skip = args.includes("--skip-preflight") ? [] : ["--skip-preflight"];
  // A site's own JSON template (legacy pass-through) has no build directory: --out is refused there.
  const outArgs = args.includes("--json-file") ? [] : ["--out", out];
  const r = await runCli(["build", ...args, ...skip, ...outArgs], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` } });
  return { ...r, out };
}

function recorded(dir: string, name: "argv" | "env"): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${name}.`))
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

describe("arv-image validate (real Packer 1.6.6)", () => {
  it.each(Object.keys(CASES))("passes for golden case %s", async (name) => {
    // A private TMPDIR: the temporary build directory must be gone afterwards.
    const own = mkdtempSync(join(tmp, "tmpdir-"));
    const r = await runCli(["validate", ...(CASES[name] ?? [])], { env: { ...process.env, TMPDIR: own } });
    expect(r.stderr).toContain("packer validate passed");
    expect(r.code).toBe(0);
    expect(readdirSync(own).filter((d) => d.startsWith("arv-image"))).toEqual([]); // (Node 24 keeps its compile cache there too)
  });

  it("still cleans up when its output pipe closes early (arv-image validate … | head -c 10)", async () => {
    const own = mkdtempSync(join(tmp, "tmpdir-"));
    const args = (CASES["aws-minimal"] ?? []).map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const r = await run("bash", ["-c", `"$0" "$1" validate ${args} --verbose 2>&1 | head -c 10`, process.execPath, BIN], { env: { ...process.env, TMPDIR: own } });
    expect(r.stdout).toHaveLength(10);
    expect(readdirSync(own).filter((d) => d.startsWith("arv-image"))).toEqual([]); // (Node 24 keeps its compile cache there too)
  });

  it("fails with Packer's own message when Packer rejects the configuration", async () => {
    const sa = join(tmp, "not-a-service-account.json");
    writeFileSync(sa, '{"type": "authorized_user"}\n');
    const r = await runCli([
      "validate",
      "--cloud",
      "gcp",
      "--arvados-cluster-id",
      "zzzzz",
      "--gcp-project-id",
      "my-project",
      "--public-key-file",
      EXAMPLE_KEY,
      "--gcp-account-file",
      sa,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(2);
    expect(r.stderr).toMatch(/packer validate failed \(exit 1\)/);
    expect(r.stderr).toMatch(/service_account/);
  });
});

describe("arv-image build (stand-in packer)", () => {
  it("prints the AMI ids per region, de-duplicated, and the Arvados snippet", async () => {
    const dir = standIn({ REPLAY: recording("aws-ok.log", AWS_OK) });
    const r = await build(dir, awsArgs());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("us-east-1 ami-0123456789abcdef0\neu-west-1 ami-0fedcba9876543210\n");
    expect(r.stderr).toContain('ImageID: "ami-0123456789abcdef0"');
    expect(r.stderr).toMatch(/log: .*packer-\d{8}-\d{6}\.log/);
    expect(r.stderr).toContain("Reading package lists...");
  });

  it("the build region's AMI is the one to paste, printed first and imageId in --json, whatever order Packer lists the copies in", async () => {
    // Packer 1.6.6's amazon-ebs lists the regions in no set order: here the copy (eu-west-1) first.
    const dir = standIn({ REPLAY: join(REPO, "test/fixtures/packer-output/aws-multi-region-duplicate.log") });
    for (const json of [false, true]) {
      const r = await build(dir, [...awsArgs(), "--aws-region", "us-east-1", "--aws-ami-regions", "eu-west-1", ...(json ? ["--json"] : [])]);
      expect(r.code, r.stderr).toBe(0);
      const snippet = json ? (JSON.parse(r.stdout) as { arvadosConfig: string }).arvadosConfig : r.stderr;
      expect(snippet).toContain('ImageID: "ami-0a1b2c3d4e5f60718"');
      if (json) {
        const doc = JSON.parse(r.stdout) as { imageId: string; images: { region: string }[] };
        expect(doc.imageId).toBe("ami-0a1b2c3d4e5f60718");
        expect(doc.images.map((i) => i.region)).toEqual(["us-east-1", "eu-west-1"]);
      } else expect(r.stdout).toBe("us-east-1 ami-0a1b2c3d4e5f60718\neu-west-1 ami-0b2c3d4e5f6071829\n");
    }
  });

  it("--emit-config writes the config.yml changes: image ids, and for the EBS autoscaler the profile, scratch and IAM policy", async () => {
    const dir = standIn({ REPLAY: recording("aws-ok-emit.log", AWS_OK) });
    const file = join(mkdtempSync(join(tmp, "emit-")), "zzzzz-image.yml");
    const r = await build(dir, [...awsArgs(), "--aws-ebs-autoscale", "--emit-config", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    const doc = parseYaml(text) as { Clusters: Record<string, { Containers: { CloudVMs: { ImageID: string; DriverParameters: { IAMInstanceProfile: string } } } }> };
    expect(doc.Clusters.zzzzz?.Containers.CloudVMs.ImageID).toBe("ami-0123456789abcdef0");
    expect(doc.Clusters.zzzzz?.Containers.CloudVMs.DriverParameters.IAMInstanceProfile).toBeTruthy();
    expect(text).toContain("#   eu-west-1: ami-0fedcba9876543210");
    expect(text).toContain("IncludedScratch: 5TB");
    expect(text).toContain('"ec2:CreateVolume"');
    const json = JSON.parse(r.stdout) as { arvadosConfig: string; iamPolicy: { Statement: { Action: string[] }[] } };
    expect(json.arvadosConfig).toBe(text);
    expect(json.iamPolicy.Statement[0]?.Action).toContain("ec2:AttachVolume");
    // A directory that does not exist is a usage error before anything runs.
    const bad = await build(dir, [...awsArgs(), "--emit-config", join(tmp, "no/such/dir/x.yml")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--emit-config");
  });

  it("every output path (--out, --emit-config) is checked before anything runs: exit 2 naming the flag, nothing written", async () => {
    const dir = standIn({ REPLAY: recording("aws-ok-outputs.log", AWS_OK) });
    const existingDir = mkdtempSync(join(tmp, "is-a-dir-"));
    const cases: [string[], RegExp][] = [
      // /proc takes no new files, even for root: a permission check alone would pass there.
      [["--emit-config", "/proc/zzzzz-image.yml"], /--emit-config "\/proc\/zzzzz-image.yml": cannot write in "\/proc"/],
      [["--emit-config", existingDir], /--emit-config ".*": is a directory/],
      [["--emit-config", join(tmp, "no/such/dir/x.yml")], /--emit-config ".*": its directory does not exist/],
    ];
    for (const [extra, message] of cases) {
      const r = await build(dir, [...awsArgs(), ...extra]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(r.out)).toBe(false);
    }
    const out = await runCli(["build", ...awsArgs(), "--out", "/proc/arv-image-out"], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` } });
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toMatch(/--out "\/proc\/arv-image-out": cannot create anything in "\/proc"/);
    // Packer was asked its version, nothing more: no validate, no paid build.
    expect(recorded(dir, "argv").map((a) => a.split("\0")[0])).toEqual(["version"]);
  });

  it("--json prints exactly one JSON document on stdout", async () => {
    const dir = standIn({ REPLAY: recording("aws-ok2.log", AWS_OK) });
    const r = await build(dir, [...awsArgs(), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema: "arv-image.build-result/v1", ok: true, cloud: "aws", imageId: "ami-0123456789abcdef0", packerExitCode: 0 });
    expect(doc.images).toEqual(
      [
        { cloud: "aws", region: "us-east-1", id: "ami-0123456789abcdef0" },
        { cloud: "aws", region: "eu-west-1", id: "ami-0fedcba9876543210" },
      ].map((i) => expect.objectContaining(i)),
    );
    expect(existsSync(doc.log)).toBe(true);
    // Packer's own share of the elapsed time, in seconds (the bench reads it).
    expect(doc.packerSeconds).toBeGreaterThan(0);
    expect(doc.packerSeconds).toBeLessThanOrEqual(doc.elapsedSeconds + 0.05);
  });

  it("Azure: the managed image name and its resource group in the snippet", async () => {
    const dir = standIn({ REPLAY: recording("azure-ok.log", AZURE_OK) });
    const r = await build(dir, [
      "--cloud",
      "azure",
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--azure-resource-group",
      "arvados-images",
      "--azure-sku",
      "12-gen2",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.imageId).toBe("zzzzz-compute-v1795000000");
    expect(doc.arvadosConfig).toContain('ImageResourceGroup: "arvados-images"');
  });

  it("GCP: the image name", async () => {
    const dir = standIn({ REPLAY: recording("gcp-ok.log", GCP_OK) });
    const r = await build(dir, ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "my-project"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("arvados-zzzzz-compute-20261123093000\n");
  });

  it("a build that exits 0 without an artifact is an error of its own", async () => {
    const dir = standIn({ REPLAY: recording("none.log", NO_ARTIFACT) });
    const r = await build(dir, [...awsArgs(), "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("exited 0 but reported no image");
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, packerExitCode: 0 });
  });

  it("--json still prints one JSON document when the build stops before Packer runs", async () => {
    const dir = standIn({ VERSION: "1.5.6" });
    const r = await build(dir, [...awsArgs(), "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: "arv-image.build-result/v1", ok: false, exitCode: 1 });
    expect(JSON.parse(r.stdout).error).toContain("1.5.6");
  });

  it("--debug passes Packer's terminal through and does not demand a parsed artifact", async () => {
    const dir = standIn({ REPLAY: recording("debug.log", ["==> amazon-ebs.compute: Pausing after run of step 'StepRunSourceInstance'. Press enter to continue."]) });
    const r = await build(dir, [...awsArgs(), "--debug"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Press enter to continue"); // Packer wrote to the terminal itself
    expect(readdirSync(r.out).filter((f) => f.startsWith("packer-"))).toEqual([]); // nothing passes through arv-image: no log
    expect(r.stderr).toContain("packer build -debug finished");
    const argv = recorded(dir, "argv")
      .map((a) => a.split("\0"))
      .find((a) => a[0] === "build");
    expect(argv?.[1]).toBe("-debug");
    expect(argv).not.toContain("-machine-readable");
  });

  it("passes Packer's exit code through", async () => {
    const dir = standIn({ REPLAY: recording("fail.log", [`${T},amazon-ebs.compute,error,Script exited with non-zero exit status: 3.Allowed exit codes are: [0]`]), EXIT: "3" });
    const r = await build(dir, awsArgs());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("packer build failed with exit code 3: Script exited with non-zero exit status: 3");
    expect(r.stdout).toBe("");
  });

  it("--dry-run validates, prints the plan and builds nothing", async () => {
    const dir = standIn({});
    const r = await build(dir, [...awsArgs(), "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/image name: +arvados-zzzzz-compute-\d{14}/);
    expect(r.stderr).toContain("newest official Debian 12 amd64 AMI");
    // The steps in order; the prelude they source (scripts/lib/) is not a step.
    expect(r.stderr).toMatch(/^scripts: +10-base\.sh 15-kernel\.sh 20-arvados\.sh \S.* 99-hygiene\.sh$/m);
    expect(r.stderr).not.toMatch(/^scripts: .*lib\//m);
    expect(recorded(dir, "argv").map((a) => a.split("\0")[0])).toEqual(expect.arrayContaining(["version", "validate"]));
    expect(recorded(dir, "argv").some((a) => a.startsWith("build\0"))).toBe(false);
  });

  it("secrets reach Packer's environment, never its argv, the log, stdout or stderr", async () => {
    const dir = standIn({ REPLAY: recording("aws-ok3.log", AWS_OK) });
    const r = await build(dir, awsArgs());
    expect(r.code, r.stderr).toBe(0);
    const buildEnv = recorded(dir, "env").find((e) => e.includes("AWS_SECRET_ACCESS_KEY="));
    expect(buildEnv).toContain(`AWS_SECRET_ACCESS_KEY=${CANARY}`);
    expect(buildEnv).toContain("CHECKPOINT_DISABLE=1");
    for (const a of recorded(dir, "argv")) expect(a).not.toContain(CANARY);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    const logs = readdirSync(r.out).filter((f) => f.startsWith("packer-"));
    expect(logs.length).toBe(1);
    expect(readFileSync(join(r.out, logs[0] ?? ""), "utf8")).not.toContain(CANARY);
  });

  it("keeps the caller's stray build.sh variables out of Packer's environment", async () => {
    const dir = standIn({ REPLAY: recording("aws-ok4.log", AWS_OK) });
    const r = await runCli(["build", ...awsArgs(), "--out", join(mkdtempSync(join(tmp, "o-")), "b")], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}`, RESOLVER: "9.9.9.9", EXTRA: " -on-error=abort", REPOSUFFIX: "-dev" },
    });
    expect(r.code, r.stderr).toBe(0);
    for (const e of recorded(dir, "env")) expect(e).not.toMatch(/(^|\0)(RESOLVER|EXTRA|REPOSUFFIX)=/);
  });
});

describe("Packer discovery and gating (stand-in packer)", () => {
  it("refuses a Packer older than 1.6.6 with the reason", async () => {
    const dir = standIn({ VERSION: "1.5.6" });
    const r = await runCli(["build", ...awsArgs(), "--packer", join(dir, "packer"), "--dry-run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is Packer 1\.5\.6; arv-image's HCL2 templates need Packer 1\.6\.6 or newer/);
  });

  it("refuses --packer-version that the Packer found cannot run", async () => {
    const dir = standIn({});
    const r = await runCli(["build", ...awsArgs(), "--packer", join(dir, "packer"), "--packer-version", "1.11.2", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--packer-version 1\.11\.2: the Packer that would run it is 1\.6\.6/);
  });

  it("a bad command line is a usage error (exit 2) even when Packer is missing too", async () => {
    for (const cmd of ["build", "validate"]) {
      const args = awsArgs().filter((a) => cmd === "build" || a !== "--skip-preflight");
      const r = await runCli([cmd, ...args, "--aws-region", "nowhere", "--packer", "/nonexistent/packer"]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--aws-region "nowhere"');
      expect(r.stderr).not.toContain("could not run it");
    }
  });

  it("says clearly when --packer is not a Packer", async () => {
    const r = await runCli(["validate", ...awsArgs().filter((a) => a !== "--skip-preflight"), "--packer", "/bin/false"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--packer "/bin/false": could not run it');
  });

  it("renders for the Packer found: a current one gets versions.pkr.hcl and packer init", async () => {
    const dir = standIn({ VERSION: "1.11.2" });
    const r = await runCli(["build", ...awsArgs(), "--packer", join(dir, "packer"), "--dry-run", "--out", join(mkdtempSync(join(tmp, "g-")), "b")]);
    expect(r.code, r.stderr).toBe(0);
    expect(recorded(dir, "argv").map((a) => a.split("\0")[0])).toEqual(expect.arrayContaining(["version", "init", "validate"]));
    // -upgrade, so an older installed plugin within the constraint is not kept silently.
    expect(
      recorded(dir, "argv")
        .find((a) => a.startsWith("init\0"))
        ?.split("\0"),
    ).toEqual(["init", "-upgrade", ".", ""]);
  });
});

describe("legacy pass-through (stand-in packer)", () => {
  it("runs a site's own JSON template with build.sh's variables, as an argument vector", async () => {
    const tpl = join(tmp, "my site template.json");
    writeFileSync(tpl, "{}\n");
    const dir = standIn({});
    const r = await build(dir, [
      "--json-file",
      tpl,
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--aws-source-ami",
      "ami-12345678",
      "--resolver",
      "10.0.0.2; touch /tmp/pwned",
    ]);
    // a resolver like that is refused before anything runs
    expect(r.code).toBe(2);
    // --dry-run has no meaning there: refused before anything runs (it once started a real bake).
    const dry = await build(dir, ["--json-file", tpl, "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--dry-run"]);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toMatch(/^--dry-run: not with --json-file/m);
    expect(recorded(dir, "argv").some((a) => a.startsWith("build\0"))).toBe(false);
    const ok = await build(dir, [
      "--json-file",
      tpl,
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--aws-source-ami",
      "ami-12345678",
      "--resolver",
      "10.0.0.2",
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain("legacy pass-through");
    expect(ok.stderr).toContain("--cloud aws|azure|gcp");
    const argv = recorded(dir, "argv")
      .map((a) => a.split("\0").slice(0, -1))
      .find((a) => a[0] === "build");
    expect(argv).toEqual([
      "build",
      "-var",
      "arvados_cluster=zzzzz",
      "-var",
      "aws_source_ami=ami-12345678",
      "-var",
      "aws_default_region=us-east-1",
      "-var",
      "aws_associate_public_ip_address=true",
      "-var",
      "aws_ena_support=true",
      "-var",
      "resolver=10.0.0.2",
      "-var",
      "pin_packages=true",
      "-var",
      `public_key_file=${EXAMPLE_KEY}`,
      "-var",
      "mksquashfs_mem=256M",
      "-var",
      "goversion=1.25.6", // Arvados 3.2's Go, the default --arvados-version's
      tpl,
    ]);
  });
});

describe("a terminal that falls behind (stand-in packer)", () => {
  it("never holds Packer up: the build finishes while stderr is unread, and says how many lines it left out", { timeout: 600_000 }, async () => {
    // 200,000 progress lines (~13 MB of live view) into a stderr pipe nobody reads until
    // the build is over: a pipe's writes queue in arv-image's memory, so past its backlog
    // limit lines are left out of the view (never out of the log).
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(`${T},,ui,message,    amazon-ebs.compute: line ${i} of the provisioning output`);
    const replay = recording("long.log", [...lines, ...AWS_OK]);
    // Every line the live view would show on a pipe, from the same code the CLI runs (the
    // replay through PackerStream into the view, its breakdown at the end included).
    const reference = new BuildView({ mode: "plain" });
    const stream = new PackerStream({ view: reference });
    stream.stdout(readFileSync(replay));
    stream.end();
    reference.finish();
    const viewLines = reference
      .take()
      .text.split("\n")
      .filter((l) => l !== "");
    expect(viewLines.length).toBeGreaterThanOrEqual(200_000);
    const viewSet = new Set(viewLines);
    expect(viewSet.size).toBe(viewLines.length); // each line is told apart below

    const dir = standIn({ REPLAY: replay });
    const out = join(mkdtempSync(join(tmp, "slow-")), "b");
    const child = spawn(process.execPath, [BIN, "build", ...awsArgs(), "--json", "--out", out], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr.pause();
    // The result is out while stderr has not been read at all: wait for the whole JSON
    // document on stdout (or for the process to end without one, which fails below).
    const result = await new Promise<{ ok: boolean; log: string } | undefined>((resolve) => {
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        try {
          resolve(JSON.parse(stdout) as { ok: boolean; log: string });
        } catch {
          // not complete yet
        }
      });
      child.on("close", () => resolve(undefined));
    });
    expect(result?.ok).toBe(true);
    const stderrChunks: Buffer[] = [];
    child.stderr.on("data", (d: Buffer) => stderrChunks.push(d));
    child.stderr.resume();
    const code = child.exitCode ?? (await new Promise<number | null>((r) => child.on("close", (c) => r(c))));
    expect(code).toBe(0);
    const stderr = Buffer.concat(stderrChunks).toString("utf8");
    // Each notice counts the lines left out since the last one; under load there may be
    // several. Shown plus left out is every line of the view, exactly.
    const notices = [...stderr.matchAll(/^arv-image: (\d+) lines? of Packer's output left out here: the terminal fell behind \(the log has every line: (.+)\)$/gm)];
    expect(notices.length, stderr.slice(-2000)).toBeGreaterThan(0);
    for (const n of notices) expect(n[2]).toBe(result?.log);
    const leftOut = notices.reduce((sum, n) => sum + Number(n[1]), 0);
    const shown = stderr.split("\n").filter((l) => viewSet.has(l)).length;
    expect(shown + leftOut).toBe(viewLines.length);
    expect(
      readFileSync(result?.log as string, "utf8")
        .split("\n")
        .filter((l) => l.includes("of the provisioning output")),
    ).toHaveLength(200_000);
  });
});

describe("interrupts (stand-in packer)", () => {
  /** `args`: the command and its flags (default: build, a rendered AWS build into a fresh --out). */
  async function interrupted(signals: NodeJS.Signals[], args?: string[]): Promise<{ code: number | null; stderr: string; dir: string; cleanedBeforeExit: boolean }> {
    // Each step waits for the event it follows, not for a duration: the stand-in's cleanup
    // lasts until the test releases it, so a second signal always lands during the cleanup.
    const dir = standIn({ INTERRUPT: "1", CLEANUP_UNTIL: "release" });
    const out = join(mkdtempSync(join(tmp, "int-")), "b");
    const child = spawn(process.execPath, [BIN, ...(args ?? ["build", ...awsArgs(), "--out", out])], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let exited = false;
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.resume();
    const closed = new Promise<number | null>((r) => child.on("close", (c) => ((exited = true), r(c))));
    const until = async (cond: () => boolean) => {
      while (!cond() && !exited) await new Promise((r) => setTimeout(r, 25));
      expect(cond(), stderr).toBe(true);
    };
    await until(() => existsSync(join(dir, "ready")));
    const [first, ...more] = signals;
    child.kill(first);
    await until(() => existsSync(join(dir, "cleaning")));
    let warnings = 0;
    for (const s of more) {
      child.kill(s);
      warnings++;
      await until(() => (stderr.match(/WARNING: /g) ?? []).length >= warnings);
    }
    writeFileSync(join(dir, "release"), "");
    const code = await closed;
    return { code, stderr, dir, cleanedBeforeExit: existsSync(join(dir, "cleanup-done")) };
  }

  it("Ctrl-C: forwarded once, arv-image waits for Packer's cleanup, then exits 130", async () => {
    const r = await interrupted(["SIGINT"]);
    expect(r.cleanedBeforeExit).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("Packer is cleaning up");
    expect(r.stderr).toContain("Deleting temporary keypair");
    expect(interruptReports(r.stderr), r.stderr).toEqual(["interrupted (SIGINT)"]);
    const left = await run("pgrep", ["-f", r.dir]);
    expect(left.stdout).toBe("");
  });

  it("SIGTERM exits 143 after the cleanup", async () => {
    const r = await interrupted(["SIGTERM"]);
    expect(r.cleanedBeforeExit).toBe(true);
    expect(r.code).toBe(143);
    expect(interruptReports(r.stderr), r.stderr).toEqual(["interrupted (SIGTERM)"]);
  });

  it("a second Ctrl-C warns what may be left behind, and still waits", async () => {
    const r = await interrupted(["SIGINT", "SIGINT"]);
    expect(r.stderr).toMatch(/WARNING: .*builder instance, its temporary security group and key pair may be left/);
    expect(r.cleanedBeforeExit).toBe(true);
    expect(r.code).toBe(130);
    expect(interruptReports(r.stderr), r.stderr).toEqual(["interrupted (SIGINT)"]);
  });

  it("legacy pass-through: Ctrl-C is forwarded, arv-image waits for the cleanup, exits 130 and says so once", async () => {
    const tpl = join(tmp, "interrupted template.json");
    writeFileSync(tpl, "{}\n");
    const r = await interrupted(["SIGINT"], ["build", "--json-file", tpl, "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-source-ami", "ami-12345678"]);
    expect(r.stderr).toContain("legacy pass-through");
    expect(r.cleanedBeforeExit).toBe(true);
    expect(r.code).toBe(130);
    expect(interruptReports(r.stderr), r.stderr).toEqual(["interrupted (SIGINT)"]);
  });

  it("provision: SIGTERM is forwarded, arv-image waits for the cleanup, exits 143 and says so once", async () => {
    const key = join(tmp, "id_interrupted");
    writeFileSync(key, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n", { mode: 0o600 });
    const out = join(mkdtempSync(join(tmp, "prov-")), "b");
    // prettier-ignore
    const r = await interrupted(["SIGTERM"], ["provision", "--ssh-host", "10.0.0.12", "--ssh-private-key-file", key, "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--out", out]);
    expect(r.cleanedBeforeExit).toBe(true);
    expect(r.code).toBe(143);
    expect(interruptReports(r.stderr), r.stderr).toEqual(["interrupted (SIGTERM)"]);
  });
});
