/**
 * Bad command lines. Resolution is a pure function of the flags (and the files they name),
 * so every case runs in-process through the real syntax layer and resolution (from dist/):
 * each must be refused with one paragraph per problem that names the flag. A handful of
 * real CLI runs check what the user sees: exit 2, nothing on stdout, one paragraph per
 * problem on stderr, and --out left uncreated.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { problemsOf, rawOptions } from "../support/resolve.js";

let dir: string;
const f = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-bad-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", f("id_ed25519")]);
  writeFileSync(f("garbage.pub"), "this is not a key\n");
  writeFileSync(f("wrongblob.pub"), "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ== wrong type inside\n");
  writeFileSync(f("empty.pub"), "# only a comment\n\n");
  writeFileSync(f("hosts-bad"), "10.0.0.1 api.example.com\n# fine\n10.0.0.300 keep.example.com\n");
  writeFileSync(f("fails.sh"), "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexit 3\n");
  writeFileSync(f("custom.json"), "{}\n");
  execFileSync("mkfifo", [f("fifo")]);
  mkdirSync(f("empty-dir"));
  symlinkSync(f("empty-dir"), f("link-to-empty"));
  writeFileSync(f("config-newline-id.yml"), 'Clusters:\n  "zz\\nzz": {}\n');
  writeFileSync(f("config-bad-admin.yml"), "Clusters:\n  zzzzz:\n    Containers:\n      CloudVMs:\n        DriverParameters:\n          AdminUsername: x y\n");
  mkdirSync(f("full"));
  writeFileSync(f("full/keep-me"), "x");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const aws = () => ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY];
const azure = () => ["--cloud", "azure", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--azure-resource-group", "rg", "--azure-sku", "12-gen2"];

/** [description, args (after `render`), text the problems must contain (the flag)] */
const CASES: [string, () => string[], string | RegExp][] = [
  ["no cloud at all", () => ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY], "--cloud"],
  ["unknown cloud", () => ["--cloud", "mars", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY], "--cloud"],
  ["cluster id with upper case and dash", () => [...aws(), "--arvados-cluster-id", "Zz-1"], "--arvados-cluster-id"],
  ["cluster id of 6 characters", () => [...aws(), "--arvados-cluster-id", "zzzzzz"], "--arvados-cluster-id"],
  ["missing cluster id", () => ["--cloud", "aws", "--public-key-file", EXAMPLE_KEY], "--arvados-cluster-id"],
  ["missing public key", () => ["--cloud", "aws", "--arvados-cluster-id", "zzzzz"], "--public-key-file"],
  ["public key file that does not exist", () => [...aws(), "--public-key-file", f("nope.pub")], "--public-key-file"],
  ["a private key as public key", () => [...aws(), "--public-key-file", f("id_ed25519")], /--public-key-file.*PRIVATE key/],
  ["a public key file holding text", () => [...aws(), "--public-key-file", f("garbage.pub")], "--public-key-file"],
  ["a key whose blob is of another type", () => [...aws(), "--public-key-file", f("wrongblob.pub")], "--public-key-file"],
  ["a key file with no key", () => [...aws(), "--public-key-file", f("empty.pub")], "--public-key-file"],
  ["a directory as public key", () => [...aws(), "--public-key-file", dir], "--public-key-file"],
  ["AMI id with non-hex digits", () => [...aws(), "--aws-source-ami", "ami-xyz12345"], "--aws-source-ami"],
  ["AMI id too short", () => [...aws(), "--aws-source-ami", "ami-123"], "--aws-source-ami"],
  ["VPC id malformed", () => [...aws(), "--aws-vpc-id", "vpc-zz"], "--aws-vpc-id"],
  ["subnet id malformed", () => [...aws(), "--aws-subnet-id", "sub-12345678"], "--aws-subnet-id"],
  ["region in upper case", () => [...aws(), "--aws-region", "US-EAST-1"], "--aws-region"],
  ["boolean as yes", () => [...aws(), "--aws-associate-public-ip", "yes"], "--aws-associate-public-ip"],
  ["boolean as 1", () => [...aws(), "--aws-ena-support", "1"], "--aws-ena-support"],
  ["boolean in capitals", () => [...aws(), "--aws-associate-public-ip", "TRUE"], "--aws-associate-public-ip"],
  ["resolver out of range", () => [...aws(), "--resolver", "999.1.1.1"], "--resolver"],
  ["resolver as a host name", () => [...aws(), "--resolver", "dns.example.com"], "--resolver"],
  ["mksquashfs mem with a B", () => [...aws(), "--mksquashfs-mem", "256MB"], "--mksquashfs-mem"],
  ["mksquashfs mem zero", () => [...aws(), "--mksquashfs-mem", "0M"], "--mksquashfs-mem"],
  ["relative workdir", () => [...aws(), "--workdir", "tmp/build"], "--workdir"],
  ["workdir with a space", () => [...aws(), "--workdir", "/tmp/a b"], "--workdir"],
  ["workdir with ..", () => [...aws(), "--workdir", "/tmp/../etc"], "--workdir"],
  ["hosts entry without a name", () => [...aws(), "--hosts-entry", "10.0.0.1"], "--hosts-entry"],
  ["hosts entry with a bad address", () => [...aws(), "--hosts-entry", "300.0.0.1 api.example.com"], "--hosts-entry"],
  ["hosts entry with a bad name", () => [...aws(), "--hosts-entry", "10.0.0.1 bad_name!"], "--hosts-entry"],
  ["hosts file that does not exist", () => [...aws(), "--hosts-file", f("no-hosts")], "--hosts-file"],
  ["hosts file with a bad line", () => [...aws(), "--hosts-file", f("hosts-bad")], /--hosts-file.*line 3/],
  ["AWS flag with --cloud azure", () => [...azure(), "--aws-region", "us-west-2"], "--aws-region"],
  [
    "flags of two clouds without --cloud",
    () => ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-region", "us-west-2", "--azure-location", "eastus"],
    /--aws-region[\s\S]*--azure-location|--azure-location[\s\S]*--aws-region/,
  ],
  ["EBS autoscaler for Azure", () => [...azure(), "--aws-ebs-autoscale"], "--aws-ebs-autoscale"],
  ["GCP without project", () => ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY], "--gcp-project-id"],
  [
    "Azure without resource group",
    () => ["--cloud", "azure", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--azure-sku", "12-gen2"],
    "--azure-resource-group",
  ],
  ["Azure SKU with a space", () => [...azure(), "--azure-sku", "12 gen2"], "--azure-sku"],
  ["Azure resource group with a slash", () => [...azure(), "--azure-resource-group", "bad/name"], "--azure-resource-group"],
  ["Azure resource group ending in a dot", () => [...azure(), "--azure-resource-group", "images."], "--azure-resource-group"],
  ["Azure cloud that does not exist", () => [...azure(), "--azure-cloud-environment", "Mars"], "--azure-cloud-environment"],
  // Azure Germany closed in 2021; the azure plugin 2.x refuses it, so packer validate would fail later.
  [
    "Azure Germany, closed in 2021",
    () => [...azure(), "--azure-cloud-environment", "Germany"],
    /--azure-cloud-environment "Germany".*one of Public, USGovernment, China .*germanywestcentral/s,
  ],
  ["Azure location with a space", () => [...azure(), "--azure-location", "East US"], "--azure-location"],
  [
    "gallery name with a dash (galleries take [A-Za-z0-9_.])",
    () => [...azure(), "--azure-gallery", "arv-gallery", "--azure-gallery-image", "compute"],
    /--azure-gallery "arv-gallery": expected .*letters, digits, '_' or '\.'/,
  ],
  ["gallery name ending in a period", () => [...azure(), "--azure-gallery", "gallery.", "--azure-gallery-image", "compute"], "--azure-gallery"],
  ["image definition of 81 characters", () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "d".repeat(81)], "--azure-gallery-image"],
  ["image definition with a slash", () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "compute/debian"], "--azure-gallery-image"],
  [
    "gallery version with two parts",
    () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-gallery-version", "1.0"],
    /--azure-gallery-version "1\.0": expected MAJOR\.MINOR\.PATCH/,
  ],
  [
    "gallery version beyond a 32-bit integer",
    () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-gallery-version", "2026.1203.2147483648"],
    "--azure-gallery-version",
  ],
  [
    "gallery version with leading zeros",
    () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-gallery-version", "2026.0103.1"],
    "--azure-gallery-version",
  ],
  ["gallery version with a v", () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-gallery-version", "v1.0.0"], "--azure-gallery-version"],
  ["--azure-gallery without an image definition", () => [...azure(), "--azure-gallery", "g"], /--azure-gallery-image is required with --azure-gallery/],
  [
    "gallery flags without --azure-gallery",
    () => [...azure(), "--azure-gallery-image", "c", "--azure-gallery-version", "1.0.0", "--azure-replication-regions", "eastus"],
    /--azure-gallery-image, --azure-gallery-version, --azure-replication-regions describe a gallery image version, which is only published with --azure-gallery/,
  ],
  [
    "a replication region in capitals",
    () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-replication-regions", "eastus,West Europe"],
    "--azure-replication-regions",
  ],
  [
    "a replication region twice",
    () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-replication-regions", "eastus,eastus"],
    /--azure-replication-regions "eastus,eastus": a location is listed twice/,
  ],
  [
    "gallery resource group ending in a period",
    () => [...azure(), "--azure-gallery", "g", "--azure-gallery-image", "c", "--azure-gallery-resource-group", "rg."],
    "--azure-gallery-resource-group",
  ],
  [
    "gallery flags with --cloud aws",
    () => [...aws(), "--azure-gallery", "g", "--azure-gallery-image", "c"],
    /--cloud aws builds for aws, but --azure-gallery, --azure-gallery-image \(azure\) belong to another cloud/,
  ],
  ["GCP project with capitals", () => ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "Bad_Project"], "--gcp-project-id"],
  [
    "GCP zone without the letter",
    () => ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "my-project", "--gcp-zone", "us-central1"],
    "--gcp-zone",
  ],
  [
    "GCP account file missing",
    () => ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "my-project", "--gcp-account-file", f("sa.json")],
    "--gcp-account-file",
  ],
  ["stock Azure template with --cloud aws", () => [...aws(), "--json-file", "arvados-images-azure.json"], "--json-file"],
  ["custom JSON template that does not exist", () => ["--json-file", f("missing.json"), "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY], "--json-file"],
  ["runtime engine podman", () => [...aws(), "--runtime-engine", "podman"], "--runtime-engine"],
  ["EBS parameter without --aws-ebs-autoscale", () => [...aws(), "--ebs-volume-iops", "5000"], "--ebs-volume-iops"],
  ["gp2 with throughput", () => [...aws(), "--aws-ebs-autoscale", "--ebs-volume-type", "gp2", "--ebs-volume-throughput", "200"], "--ebs-volume-throughput"],
  ["gp3 throughput over 0.25 MiB/s per IOPS", () => [...aws(), "--aws-ebs-autoscale", "--ebs-volume-throughput", "1000"], "--ebs-volume-throughput"],
  ["AMI copy to the build region", () => [...aws(), "--aws-ami-regions", "us-west-2,us-east-1"], "--aws-ami-regions"],
  ["AMI copy to a region that is not one", () => [...aws(), "--aws-ami-regions", "us-west-2,,moon"], "--aws-ami-regions"],
  ["gp3 with too few IOPS", () => [...aws(), "--aws-ebs-autoscale", "--ebs-volume-iops", "1000"], "--ebs-volume-iops"],
  ["st1 with IOPS", () => [...aws(), "--aws-ebs-autoscale", "--ebs-volume-type", "st1", "--ebs-volume-iops", "3000"], "--ebs-volume-iops"],
  ["logical size below volume size", () => [...aws(), "--aws-ebs-autoscale", "--ebs-max-logical-size", "1000"], "--ebs-max-logical-size"],
  ["too many EBS volumes", () => [...aws(), "--aws-ebs-autoscale", "--ebs-max-volume-count", "40"], "--ebs-max-volume-count"],
  ["root volume too small", () => [...aws(), "--aws-volume-size", "4"], "--aws-volume-size"],
  ["instance type with a space", () => [...aws(), "--aws-instance-type", "m5 large"], "--aws-instance-type"],
  ["ssh_user (build.sh spelling) invalid", () => [...aws(), "--ssh_user", "Root!"], "--ssh-user"],
  ["login user starting with a digit", () => [...aws(), "--login-user", "9crunch"], "--login-user"],
  ["reposuffix without a dash", () => [...aws(), "--reposuffix", "dev"], "--reposuffix"],
  ["Packer too old", () => [...aws(), "--packer-version", "1.5.0"], "--packer-version"],
  ["Packer version not a number", () => [...aws(), "--packer-version", "latest"], "--packer-version"],
  ["Arvados version of two parts", () => [...aws(), "--arvados-version", "3.2"], /--arvados-version "3\.2": expected an Arvados version X\.Y\.Z/],
  ["Arvados version with a v", () => [...aws(), "--arvados-version", "v3.2.1"], "--arvados-version"],
  ["Arvados version with a non-numeric revision", () => [...aws(), "--arvados-version", "3.2.1-dev"], "--arvados-version"],
  ["Arvados version as a word", () => [...aws(), "--arvados-version", "latest"], "--arvados-version"],
  ["base OS Arvados does not support", () => [...aws(), "--base-os", "debian-11"], /--base-os "debian-11": expected one of debian-12, debian-13, ubuntu-22\.04, ubuntu-24\.04/],
  ["base OS spelt with a capital", () => [...aws(), "--base-os", "Ubuntu-24.04"], "--base-os"],
  ["base OS without its version", () => [...azure(), "--base-os", "ubuntu"], "--base-os"],
  ["ROCm on Debian 13 (AMD has no packages)", () => [...aws(), "--base-os", "debian-13", "--amd-rocm-support"], /--amd-rocm-support.*--base-os "debian-13"/],
  ["ROCm on Debian 13 on Azure", () => [...azure(), "--base-os", "debian-13", "--amd-rocm-support", "--nvidia-gpu-support"], "--amd-rocm-support"],
  ["AWS secrets file missing", () => [...aws(), "--aws-secrets-file", f("none.sh")], "--aws-secrets-file"],
  ["public key file /dev/zero (unbounded)", () => [...aws(), "--public-key-file", "/dev/zero"], /--public-key-file "\/dev\/zero": is a character device/],
  ["hosts file that is a FIFO", () => [...aws(), "--hosts-file", f("fifo")], /--hosts-file .*named pipe/],
  ["cluster config /dev/zero", () => ["--cloud", "aws", "--arvados-config", "/dev/zero"], /--arvados-config "\/dev\/zero": cannot be read \(is a character device/],
  ["AWS secrets file that is a directory", () => [...aws(), "--aws-secrets-file", dir], /--aws-secrets-file .*is a directory/],
  [
    "cluster id with a newline in --arvados-config",
    () => ["--cloud", "aws", "--arvados-config", f("config-newline-id.yml")],
    /--arvados-config .*Clusters key "zz\\nzz": expected .*--arvados-cluster-id/,
  ],
  [
    "AdminUsername with a space in --arvados-config",
    () => ["--cloud", "aws", "--public-key-file", EXAMPLE_KEY, "--arvados-config", f("config-bad-admin.yml")],
    /AdminUsername "x y": expected a Unix user name/,
  ],
  ["AWS profile Packer would evaluate as a template", () => [...aws(), "--aws-profile", "{{timestamp}}"], /--aws-profile "\{\{timestamp\}\}": Packer 1\.6\.6 and later evaluate/],
  [
    "GCP account file path with {{",
    () => ["--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "my-project", "--gcp-account-file", "/tmp/{{user `x`}}.json"],
    "--gcp-account-file",
  ],
  ["AWS profile with an escape sequence", () => [...aws(), "--aws-profile", "\u001b[31mred"], /--aws-profile "\\u001b\[31mred": it contains a control character/],
  ["public key path with a newline", () => [...aws(), "--public-key-file", "/tmp/a\nb.pub"], /--public-key-file "\/tmp\/a\\nb\.pub"/],
  ["mksquashfs mem below what mksquashfs takes", () => [...aws(), "--mksquashfs-mem", "1M"], /--mksquashfs-mem "1M": expected a size from 64M to 64G/],
  ["mksquashfs mem larger than any compute node", () => [...aws(), "--mksquashfs-mem", "9999999G"], "--mksquashfs-mem"],
  ["workdir / (the SSH user cannot create directories there)", () => [...aws(), "--workdir", "/"], /--workdir "\/": the SSH user admin stages files there/],
  ["workdir /etc/arv", () => [...aws(), "--workdir", "/etc/arv"], "--workdir"],
  ["root device on the ephemeral0 mapping", () => [...aws(), "--aws-root-device", "/dev/xvdb"], /--aws-root-device "\/dev\/xvdb": the image maps the instance stores/],
  ["root device /dev/sdc (the same device to EC2 as /dev/xvdc)", () => [...aws(), "--aws-root-device", "/dev/sdc"], "--aws-root-device"],
  ["resolver with an IPv6 zone", () => [...aws(), "--resolver", "fe80::1%eth0"], "--resolver"],
  ["mirror URL with a port over 65535", () => [...aws(), "--mirror", "arvados-apt=http://a:99999"], /--mirror .*not a valid URL/],
  ["--out . (the caller's own directory)", () => [...aws(), "--out", "."], /--out ".": is the current directory, which arv-image would replace/],
  ["--out .. (contains the caller's directory)", () => [...aws(), "--out", ".."], /--out "..": is the current directory or contains it/],
  ["--out that is a symbolic link", () => [...aws(), "--out", f("link-to-empty")], /--out .*is a symbolic link/],
  ["AWS secrets file that fails", () => [...aws(), "--aws-secrets-file", f("fails.sh")], /--aws-secrets-file.*status 3/],
];

/** Refused by commander (the syntax layer) or by render itself, after resolution: run for real. */
const CLI_CASES: [string, () => string[], string | RegExp][] = [
  ["custom JSON template cannot be rendered", () => ["--json-file", f("custom.json"), "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY], "--json-file"],
  ["misspelt flag", () => [...aws(), "--aws-regoin", "us-east-1"], "--aws-regoin"],
  [
    "a flag of another command",
    () => [...aws(), "--older-than", "2h"],
    /--older-than is not a flag of arv-image render, only of gc\. Run "arv-image render --help" for its flags\./,
  ],
  ["an unknown flag names the command's help", () => [...aws(), "--bogus"], /--bogus: unknown option\. Run "arv-image render --help" for its flags\./],
  ["positional argument", () => [...aws(), "extra"], /unexpected argument/],
  ["flag without its value", () => [...aws(), "--aws-region"], "--aws-region"],
  ["switch given a value", () => [...aws(), "--nvidia-gpu-support=true"], "--nvidia-gpu-support"],
  ["ROCm switch given a value", () => [...aws(), "--amd-rocm-support", "yes"], /unexpected argument|--amd-rocm-support/],
];

function expectOneParagraphEach(problems: readonly string[]): void {
  for (const p of problems) {
    expect(p).not.toContain("\n");
    expect(p).toMatch(/[.?]$/);
  }
}

describe("resolution rejects bad input (in-process)", () => {
  it.each(CASES)("%s", async (_name, args, needle) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const problems = await problemsOf("render", ["--out", out, "--packer-version", "1.6.6", ...args()]);
    expect(problems.length).toBeGreaterThan(0);
    const text = problems.join("\n\n");
    if (typeof needle === "string") expect(text).toContain(needle);
    else expect(text).toMatch(needle);
    expectOneParagraphEach(problems);
    expect(existsSync(out)).toBe(false);
  });

  it("has at least 40 distinct cases", () => {
    expect(new Set([...CASES, ...CLI_CASES].map((c) => JSON.stringify(c[1]()))).size).toBeGreaterThanOrEqual(40);
  });

  it("names the flag, quotes the value, says what is expected and gives an example", async () => {
    expect(await problemsOf("config", [...aws(), "--mksquashfs-mem", "lots"])).toEqual([
      '--mksquashfs-mem "lots": expected a size from 64M to 64G: a whole number followed by K, M or G, e.g. --mksquashfs-mem 512M.',
    ]);
    expect(await problemsOf("render", [...aws(), "--out", f("o"), "--arvados-cluster-id", "Zz-1"])).toEqual([
      '--arvados-cluster-id "Zz-1": expected exactly 5 characters from [a-z0-9], e.g. --arvados-cluster-id zzzzz.',
    ]);
  });

  it("requires --out for render", async () => {
    expect(await problemsOf("render", aws())).toEqual(["--out is required for render: the build directory to create, e.g. --out ./build-zzzzz."]);
  });

  it("refuses --out whose parent does not exist", async () => {
    const [p] = await problemsOf("render", [...aws(), "--out", f("no/such/parent")]);
    expect(p).toContain(`--out "${f("no/such/parent")}": its parent directory`);
    expect(existsSync(f("no"))).toBe(false);
  });

  it("the legacy pass-through refuses the flags it would ignore (an ignored --dry-run started a real bake)", async () => {
    const legacy = ["--json-file", f("custom.json"), "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY];
    for (const [flag, ...value] of [["--dry-run"], ["--out", f("legacy-out")], ["--json"], ["--emit-config", f("legacy.yml")]] as const) {
      const problems = await problemsOf("build", [...legacy, flag, ...value]);
      expect(problems, flag).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${flag}: not with --json-file ".*custom\\.json", which is run as it is, .*give --cloud aws\\|azure\\|gcp instead of --json-file`));
      expectOneParagraphEach(problems);
    }
    expect(await problemsOf("build", legacy)).toEqual([]);
  });

  it("the syntax layer refuses what commander cannot parse", () => {
    expect(() => rawOptions("render", [...aws(), "--aws-regoin", "us-east-1"])).toThrow(/unknown option/);
    expect(() => rawOptions("gc", ["--arvados-cluster-id", "zzzzz"])).toThrow(/unknown option/);
  });
});

describe("--json: a refused command line still leaves exactly one document on stdout", () => {
  const SCHEMA: Record<string, string> = {
    build: "arv-image.build-result/v1",
    preflight: "arv-image.preflight/v1",
    gc: "arv-image.gc/v1",
    urls: "arv-image.urls/v1",
    provision: "arv-image.provision-result/v1",
    config: "arv-image.config/v1",
  };
  it.each(Object.keys(SCHEMA).flatMap((command) => [[command, "--bogus", "--bogus"] as const, [command, "--log-level=loud", "--log-level"] as const]))(
    "arv-image %s %s",
    async (command, bad, needle) => {
      const r = await runCli([command, "--json", bad]);
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout) as { schema: string; ok: boolean; exitCode: number; error: string };
      expect(doc).toMatchObject({ schema: SCHEMA[command], ok: false, exitCode: 2 });
      expect(doc.error).toContain(needle);
    },
  );

  it("build's own failure document is not followed by a second one", async () => {
    const r = await runCli(["build", "--json", "--cloud", "aws"]);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { error: string }).error).toContain("--arvados-cluster-id is required");
  });
});

describe("arv-image render rejects bad input (real CLI runs)", () => {
  it.each(CLI_CASES)("%s", async (_name, args, needle) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = await runCli(["render", "--out", out, "--packer-version", "1.6.6", ...args()]);
    expect(r.code).toBe(2);
    if (typeof needle === "string") expect(r.stderr).toContain(needle);
    else expect(r.stderr).toMatch(needle);
    expect(r.stdout).toBe("");
    for (const p of r.stderr.trimEnd().split("\n\n")) expect(p).not.toContain("\n");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes(".arv-image-"))).toEqual([]);
  });

  it("reports every problem at once, each naming its flag, one paragraph each", async () => {
    const out = f("o");
    const r = await runCli([
      "render",
      "--cloud",
      "aws",
      "--arvados-cluster-id",
      "BAD",
      "--aws-source-ami",
      "ami-x",
      "--resolver",
      "nope",
      "--public-key-file",
      f("nope.pub"),
      "--out",
      out,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    for (const flag of ["--arvados-cluster-id", "--aws-source-ami", "--resolver", "--public-key-file"]) expect(r.stderr).toContain(flag);
    expect(r.stderr).toMatch(/4 problems/);
    const paragraphs = r.stderr.trimEnd().split("\n\n");
    expect(paragraphs).toHaveLength(5);
    for (const p of paragraphs) expect(p).not.toContain("\n");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a non-empty --out and leaves it untouched", async () => {
    const r = await runCli(["render", ...aws(), "--out", f("full")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--out");
    expect(readdirSync(f("full"))).toEqual(["keep-me"]);
  });
});

describe("help", () => {
  it("prints help on stdout and exits 0", async () => {
    const r = await runCli(["render", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--aws-ebs-autoscale");
    expect(r.stdout).toContain("--ssh-user");
    expect(r.stderr).toBe("");
  });
});

describe("an Azure location of another cloud", () => {
  it.each([
    ["USGovernment", "eastus2", /looks like a region of Azure Public, but --azure-cloud-environment is USGovernment.*usgovvirginia/],
    ["China", "westeurope", /looks like a region of Azure Public, but --azure-cloud-environment is China.*chinanorth3/],
    ["Public", "usgovvirginia", /looks like a region of Azure USGovernment, but --azure-cloud-environment is Public.*--azure-cloud-environment USGovernment/],
  ])("--azure-cloud-environment %s with --azure-location %s is a warning naming both", async (env, location, message) => {
    const { resolved } = await import("../support/resolve.js");
    const c = await resolved("render", [...azure(), "--out", f("never"), "--azure-cloud-environment", env, "--azure-location", location]);
    expect(c.warnings.filter((w: string) => w.includes("--azure-location"))).toEqual([expect.stringMatching(message)]);
  });

  it("no warning for a location of the cloud given", async () => {
    const { resolved } = await import("../support/resolve.js");
    for (const [env, location] of [
      ["USGovernment", "usgovarizona"],
      ["USGovernment", "usdodeast"],
      ["China", "chinaeast2"],
      ["Public", "germanywestcentral"],
    ]) {
      const c = await resolved("render", [...azure(), "--out", f("never"), "--azure-cloud-environment", env!, "--azure-location", location!]);
      expect(c.warnings.filter((w: string) => w.includes("--azure-location"))).toEqual([]);
    }
  });
});
