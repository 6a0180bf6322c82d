/**
 * `arv-image preflight` (and the preflight at the start of `build`) through the real CLI
 * and the real cloud SDKs, against loopback servers that speak the clouds' wire protocols
 * (test/support/ec2, test/support/azure), inside a fresh network namespace where the
 * machine allows it (test/support/netns.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCa } from "../support/azure/ca.mjs";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { scenario, type ScenarioResult } from "../support/netns.js";

const AK = "AKIAPREFLIGHT0TEST01";
const SECRET = "preflight-canary-secret-7f3a9c";
const DEBIAN = "136693071363";
const CANONICAL = "099720109477";
const VPC_A = "vpc-0aaaaaaaaaaaaaaaa";
const VPC_B = "vpc-0bbbbbbbbbbbbbbbb";
const SUBNET_A = "subnet-0aaaaaaaaaaaaaaaa";
const SUBNET_B = "subnet-0bbbbbbbbbbbbbbbb";

const img = (id: string, name: string, date: string, extra: object = {}) => ({ imageId: id, name, ownerId: DEBIAN, creationDate: date, description: name, ...extra });
const EC2_STATE = {
  images: [
    img("ami-0d0000000000000a1", "debian-12-amd64-20260901-1800", "2026-09-01T18:00:00.000Z"),
    img("ami-0d0000000000000a2", "debian-12-amd64-20261101-1900", "2026-11-01T19:00:00.000Z"),
    img("ami-0d0000000000000a3", "debian-12-amd64-20261015-1700", "2026-10-15T17:00:00.000Z"),
    // Newer, but not what arv-image may pick: another architecture, backports, another owner.
    img("ami-0d0000000000000b1", "debian-12-arm64-20261120-1000", "2026-11-20T10:00:00.000Z", { architecture: "arm64" }),
    img("ami-0d0000000000000b2", "debian-12-backports-amd64-20261120-1000", "2026-11-20T10:00:00.000Z"),
    img("ami-0d0000000000000b3", "debian-12-amd64-20261121-1000", "2026-11-21T10:00:00.000Z", { ownerId: "111122223333" }),
    // Images to be refused for what they are.
    img("ami-0e0000000000000c1", "some-arm64-image", "2026-01-01T00:00:00.000Z", { ownerId: "111122223333", architecture: "arm64" }),
    img("ami-0e0000000000000c2", "some-instance-store-image", "2026-01-01T00:00:00.000Z", { ownerId: "111122223333", rootDeviceType: "instance-store" }),
    img("ami-0e0000000000000c3", "some-big-root-image", "2026-01-01T00:00:00.000Z", {
      ownerId: "111122223333",
      blockDeviceMapping: [{ deviceName: "/dev/xvda", ebs: { snapshotId: "snap-0e0000000000000c3", volumeSize: 40, volumeType: "gp3" } }],
    }),
    img("ami-0e0000000000000c4", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101", "2026-11-01T00:00:00.000Z", {
      ownerId: CANONICAL,
      description: "Canonical, Ubuntu, 24.04, amd64 noble image",
      rootDeviceName: "/dev/sda1",
      blockDeviceMapping: [{ deviceName: "/dev/sda1", ebs: { snapshotId: "snap-0e0000000000000c4", volumeSize: 8, volumeType: "gp3" } }],
    }),
    // Debian 13 (trixie): the newest amd64 one is d13-a2; an arm64 one is newer still.
    img("ami-0d1300000000000a1", "debian-13-amd64-20261001-1500", "2026-10-01T15:00:00.000Z"),
    img("ami-0d1300000000000a2", "debian-13-amd64-20261115-1600", "2026-11-15T16:00:00.000Z"),
    img("ami-0d1300000000000b1", "debian-13-arm64-20261125-1000", "2026-11-25T10:00:00.000Z", { architecture: "arm64" }),
    // Ubuntu 24.04 (Canonical): the newest amd64 server image is u24-a2; newer arm64, minimal and jammy ones must not be picked.
    ...[
      ["ami-0a2400000000000a1", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261110", "2026-11-10T00:00:00.000Z", {}],
      ["ami-0a2400000000000a2", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261125", "2026-11-25T00:00:00.000Z", {}],
      ["ami-0a2400000000000b1", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20261128", "2026-11-28T00:00:00.000Z", { architecture: "arm64" }],
      ["ami-0a2400000000000b2", "ubuntu-minimal/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-minimal-20261129", "2026-11-29T00:00:00.000Z", {}],
      ["ami-0a2200000000000b3", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261130", "2026-11-30T00:00:00.000Z", {}],
    ].map(([id, name, date, extra]) =>
      img(id as string, name as string, date as string, {
        ownerId: CANONICAL,
        rootDeviceName: "/dev/sda1",
        blockDeviceMapping: [{ deviceName: "/dev/sda1", ebs: { snapshotId: `snap-${(id as string).slice(4)}`, volumeSize: 8, volumeType: "gp3" } }],
        ...(extra as object),
      }),
    ),
  ],
  vpcs: [
    { vpcId: VPC_A, cidrBlock: "10.1.0.0/16" },
    { vpcId: VPC_B, cidrBlock: "10.2.0.0/16" },
  ],
  subnets: [
    { subnetId: SUBNET_A, vpcId: VPC_A, availabilityZone: "us-east-1a", cidrBlock: "10.1.1.0/24", availableIpAddressCount: 250 },
    { subnetId: SUBNET_B, vpcId: VPC_B, availabilityZone: "us-east-1b", cidrBlock: "10.2.1.0/24", availableIpAddressCount: 250 },
  ],
  // us-east-1b offers only t3.small: m5.large (the default type) is not there.
  instanceTypeOfferings: { "us-east-1b": ["t3.small"] },
};

let tmp: string;
let secretsFile: string;
let tlsDir: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-preflight-"));
  secretsFile = join(tmp, "aws-secrets.sh");
  writeFileSync(secretsFile, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=${SECRET}\n`);
  tlsDir = join(tmp, "tls");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const AWS = ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY];
function aws(args: string[], opts: { env?: Record<string, string>; faults?: object; secrets?: boolean } = {}): Promise<ScenarioResult> {
  return scenario({
    argv: ["preflight", ...AWS, ...(opts.secrets === false ? [] : ["--aws-secrets-file", secretsFile]), ...args],
    env: { AWS_ENDPOINT_URL_EC2: "${EC2_URL}", ...opts.env },
    ec2: { state: EC2_STATE, credentials: { accessKeyId: AK, secretAccessKey: SECRET }, faults: opts.faults },
  });
}

interface Doc {
  schema: string;
  ok: boolean;
  errors: number;
  findings: { severity: string; check: string; message: string }[];
  chosen: { awsSourceAmi?: { id: string; name: string }; sshUser?: string; awsRootDevice?: string };
}
const doc = (r: ScenarioResult) => JSON.parse(r.stdout) as Doc;
const finding = (d: Doc, check: string) => d.findings.filter((f) => f.check === check);
const actions = (r: ScenarioResult) => r.ec2.requests.map((q) => q.action);

function noSecret(r: ScenarioResult) {
  expect(r.stdout).not.toContain(SECRET);
  expect(r.stderr).not.toContain(SECRET);
  expect(JSON.stringify(r.ec2.requests)).not.toContain(SECRET);
}

describe("preflight: AWS against the loopback EC2 Query API", () => {
  it("passes every check for a good configuration, each call signed with the secrets file's key", async () => {
    const r = await aws(["--aws-source-ami", "ami-0d0000000000000a2", "--aws-vpc-id", VPC_A, "--aws-subnet-id", SUBNET_A, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    expect(d.schema).toBe("arv-image.preflight/v1");
    expect(d.ok).toBe(true);
    expect(d.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(d.findings.map((f) => f.check).sort()).toEqual([
      "aws.credentials",
      "aws.instance-type",
      "aws.source-ami",
      "aws.ssh-user",
      "aws.subnet",
      "aws.vpc",
      "local.packer",
      "local.public-key",
    ]);
    expect(finding(d, "aws.instance-type")[0]?.message).toContain("m5.large is offered in us-east-1a");
    expect(finding(d, "aws.ssh-user")[0]?.message).toContain("admin");
    // The server verified SigV4 on every request: none was refused.
    expect(r.ec2.requests.every((q) => q.status === 200)).toBe(true);
    expect(new Set(actions(r))).toEqual(new Set(["DescribeAvailabilityZones", "DescribeImages", "DescribeVpcs", "DescribeSubnets", "DescribeInstanceTypeOfferings"]));
    noSecret(r);
  });

  it("without --aws-source-ami picks the newest official Debian 12 amd64 AMI and says which and why", async () => {
    const r = await aws(["--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    expect(d.chosen.awsSourceAmi).toEqual({ id: "ami-0d0000000000000a2", name: "debian-12-amd64-20261101-1900" });
    const m = finding(d, "aws.source-ami")[0]?.message ?? "";
    expect(m).toContain("chose ami-0d0000000000000a2");
    expect(m).toContain("newest of 3 official Debian 12 amd64 AMIs in us-east-1 (owner 136693071363");
    const lookup = r.ec2.requests.find((q) => q.action === "DescribeImages");
    expect(lookup?.params).toMatchObject({ "Owner.1": DEBIAN, "Filter.1.Name": "name", "Filter.1.Value.1": "debian-12-amd64-*" });
  });

  it("with --base-os debian-13 picks the newest official Debian 13 amd64 AMI", async () => {
    const r = await aws(["--base-os", "debian-13", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    expect(d.chosen.awsSourceAmi).toEqual({ id: "ami-0d1300000000000a2", name: "debian-13-amd64-20261115-1600" });
    expect(finding(d, "aws.source-ami")[0]?.message).toContain(
      "newest of 2 official Debian 13 amd64 AMIs in us-east-1 (owner 136693071363, Debian's account), because --aws-source-ami was not given (--base-os debian-13)",
    );
    const lookup = r.ec2.requests.find((q) => q.action === "DescribeImages");
    expect(lookup?.params).toMatchObject({ "Owner.1": DEBIAN, "Filter.1.Name": "name", "Filter.1.Value.1": "debian-13-amd64-*" });
    expect(finding(d, "aws.ssh-user")[0]?.message).toContain("logs in as admin");
  });

  it("with --base-os ubuntu-24.04 picks the newest official Ubuntu 24.04 amd64 server AMI, logs in as ubuntu and resizes /dev/sda1", async () => {
    const r = await aws(["--base-os", "ubuntu-24.04", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    // ubuntu is already --base-os's user and /dev/sda1 its root device: nothing else to change.
    expect(d.chosen).toEqual({ awsSourceAmi: { id: "ami-0a2400000000000a2", name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261125" } });
    expect(finding(d, "aws.source-ami")[0]?.message).toContain("newest of 3 official Ubuntu 24.04 amd64 AMIs in us-east-1 (owner 099720109477, Canonical's account)");
    const lookup = r.ec2.requests.find((q) => q.action === "DescribeImages");
    expect(lookup?.params).toMatchObject({ "Owner.1": CANONICAL, "Filter.1.Value.1": "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*" });
    expect(finding(d, "aws.ssh-user")[0]?.message).toMatch(/logs in as ubuntu: .* an Ubuntu image/);
    expect(d.findings.filter((f) => f.severity !== "info")).toEqual([]);
  });

  it("warns when a given AMI's name says it is another release than --base-os", async () => {
    const r = await aws(["--base-os", "debian-13", "--aws-source-ami", "ami-0e0000000000000c4", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    const warnings = d.findings.filter((f) => f.severity === "warning");
    expect(warnings.map((f) => f.check)).toEqual(["aws.source-ami"]);
    expect(warnings[0]?.message).toMatch(
      /--aws-source-ami ami-0e0000000000000c4 is named "ubuntu\/images\/hvm-ssd-gp3\/ubuntu-noble-24\.04-amd64-server-20261101", an official Ubuntu 24\.04 AMI, but --base-os is debian-13: .* give --base-os ubuntu-24\.04/,
    );
    // What the image is decides the login user, as before.
    expect(d.chosen).toMatchObject({ sshUser: "ubuntu", awsRootDevice: "/dev/sda1" });
    // A matching --base-os: no warning.
    const ok = await aws(["--base-os", "ubuntu-24.04", "--aws-source-ami", "ami-0e0000000000000c4", "--json"]);
    expect(doc(ok).findings.filter((f) => f.severity !== "info")).toEqual([]);
  });

  it("reads the Ubuntu login user and root device from an Ubuntu AMI", async () => {
    const r = await aws(["--aws-source-ami", "ami-0e0000000000000c4", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    expect(d.chosen).toEqual({ sshUser: "ubuntu", awsRootDevice: "/dev/sda1" });
    expect(finding(d, "aws.ssh-user")[0]?.message).toMatch(/logs in as ubuntu: .* an Ubuntu image/);
  });

  it.each([
    ["an AMI that does not exist in the region", ["--aws-source-ami", "ami-0fffffffffffffff0"], "aws.source-ami", /no such image in us-east-1.*AMI ids are per region/],
    ["an arm64 AMI", ["--aws-source-ami", "ami-0e0000000000000c1"], "aws.source-ami", /is arm64; arv-image builds x86_64/],
    ["an instance-store AMI", ["--aws-source-ami", "ami-0e0000000000000c2"], "aws.source-ami", /is instance-store EBS-backed|needs an EBS-backed AMI/],
    [
      "a root snapshot larger than the volume",
      ["--aws-source-ami", "ami-0e0000000000000c3"],
      "aws.source-ami",
      /40 GB root snapshot, larger than --aws-volume-size 20: give --aws-volume-size 40/,
    ],
    [
      "a root device other than --aws-root-device",
      ["--aws-source-ami", "ami-0e0000000000000c4", "--aws-root-device", "/dev/xvda"],
      "aws.source-ami",
      /root volume on \/dev\/sda1, not on --aws-root-device \/dev\/xvda/,
    ],
    [
      "a subnet of another VPC",
      ["--aws-vpc-id", VPC_A, "--aws-subnet-id", SUBNET_B, "--aws-instance-type", "t3.small"],
      "aws.subnet",
      new RegExp(`${SUBNET_B} belongs to ${VPC_B}, not to --aws-vpc-id ${VPC_A}`),
    ],
    ["a VPC that does not exist", ["--aws-vpc-id", "vpc-0cccccccccccccccc"], "aws.vpc", /no such VPC in us-east-1/],
    ["a subnet that does not exist", ["--aws-subnet-id", "subnet-0cccccccccccccccc"], "aws.subnet", /no such subnet in us-east-1/],
    ["an instance type the subnet's zone does not offer", ["--aws-subnet-id", SUBNET_B], "aws.instance-type", /m5.large is not offered in us-east-1b, the zone of --aws-subnet-id/],
  ])("finds %s (exit 1, the fix named)", async (_, args, check, message) => {
    const r = await aws([...args, "--json"]);
    expect(r.code).toBe(1);
    const d = doc(r);
    expect(d.ok).toBe(false);
    const errs = d.findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual([check]);
    expect(errs[0]?.message).toMatch(message);
    expect(r.stderr).toMatch(new RegExp(`preflight found 1 error.*--skip-check ${check.replace(".", "\\.")}`));
  });

  it("reports refused credentials once and makes no other call", async () => {
    const bad = join(tmp, "bad-secrets.sh");
    writeFileSync(bad, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=not-the-secret\n`);
    const r = await aws(["--aws-secrets-file", bad, "--json"], { secrets: false });
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs).toHaveLength(1);
    expect(errs[0]?.check).toBe("aws.credentials");
    expect(errs[0]?.message).toMatch(/credentials from --aws-secrets-file were refused .*SignatureDoesNotMatch.*[Cc]heck the access key and secret/);
    expect(actions(r)).toEqual(["DescribeAvailabilityZones"]);
  });

  it("uses --aws-profile from the shared credentials file", async () => {
    const creds = join(tmp, "credentials");
    writeFileSync(creds, `[arvados-build]\naws_access_key_id = ${AK}\naws_secret_access_key = ${SECRET}\n`);
    const r = await aws(["--aws-profile", "arvados-build", "--aws-source-ami", "ami-0d0000000000000a1"], {
      secrets: false,
      env: { AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: join(tmp, "no-config") },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok +aws\.credentials +credentials of profile "arvados-build" accepted by EC2 in us-east-1 at http:\/\/127\.0\.0\.1:\d+: 3 availability zones/);
    noSecret(r);
  });

  it("says when no credentials can be found", async () => {
    const r = await aws([], { secrets: false, env: { AWS_SHARED_CREDENTIALS_FILE: join(tmp, "none"), AWS_CONFIG_FILE: join(tmp, "none"), AWS_EC2_METADATA_DISABLED: "true" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error +aws\.credentials +no usable AWS credentials were found.*Give --aws-profile NAME.*or --aws-secrets-file FILE/);
  });

  it("a cloud that does not answer is an error after --preflight-timeout, never a hang", async () => {
    // The limit is generous because the other checks must answer within it on a loaded machine.
    const r = await aws(["--aws-subnet-id", SUBNET_A, "--preflight-timeout", "5", "--json"], { faults: { DescribeSubnets: { hang: true } } });
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual(["aws.subnet"]);
    expect(errs[0]?.message).toMatch(/did not answer within 5 s.*--preflight-timeout/);
    // The other checks still ran and passed.
    expect(doc(r).findings.find((f) => f.check === "aws.source-ami")?.severity).toBe("info");
  });

  it("leaves out checks named with --skip-check; an unknown name is a usage error", async () => {
    const r = await aws(["--aws-subnet-id", SUBNET_B, "--skip-check", "aws.instance-type", "--skip-check", "local.packer", "--json"]);
    expect(r.code, r.stdout).toBe(0);
    expect(doc(r).findings.map((f) => f.check)).not.toContain("aws.instance-type");
    expect(doc(r).findings.map((f) => f.check)).not.toContain("local.packer");
    expect(actions(r)).not.toContain("DescribeInstanceTypeOfferings");

    const u = await runCli(["preflight", ...AWS, "--skip-check", "aws.everything"]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--skip-check "aws.everything"');
    expect(u.stderr).toContain("aws.instance-type");
  });

  it("reads well for a person: one line per check, a summary", async () => {
    const r = await aws(["--aws-subnet-id", SUBNET_A]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("preflight for AWS us-east-1:");
    expect(lines.slice(1, -1).every((l) => /^ {2}(ok|warning|error) +[a-z]+\.[a-z-]+ +\S/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^all checks passed in \d+\.\d s$/);
    // In the order of the check list, whatever order the concurrent calls finished in.
    expect(lines.slice(1, -1).map((l) => l.trim().split(/ +/)[1])).toEqual([
      "local.packer",
      "local.public-key",
      "aws.credentials",
      "aws.source-ami",
      "aws.ssh-user",
      "aws.subnet",
      "aws.instance-type",
    ]);
  });
});

describe("build runs preflight first", () => {
  it("stops before rendering or running Packer when preflight finds an error", async () => {
    const out = join(tmp, "build-refused");
    const r = await scenario({
      argv: ["build", ...AWS, "--aws-secrets-file", secretsFile, "--aws-source-ami", "ami-0fffffffffffffff0", "--out", out, "--json"],
      env: { AWS_ENDPOINT_URL_EC2: "${EC2_URL}" },
      ec2: { state: EC2_STATE, credentials: { accessKeyId: AK, secretAccessKey: SECRET } },
    });
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as { ok: boolean; error: string; preflight: { errors: number; findings: { check: string }[] } };
    expect(d.ok).toBe(false);
    expect(d.error).toMatch(/preflight found 1 error; nothing was built/);
    expect(d.preflight.errors).toBe(1);
    expect(() => readFileSync(join(out, "aws.pkr.hcl"))).toThrow();
  });

  it("builds what it checked: the chosen AMI, its login user and root device go into the var file", async () => {
    const out = join(tmp, "build-dry-run");
    const r = await scenario({
      argv: ["build", ...AWS, "--aws-secrets-file", secretsFile, "--aws-source-ami", "ami-0e0000000000000c4", "--out", out, "--dry-run"],
      env: { AWS_ENDPOINT_URL_EC2: "${EC2_URL}" },
      ec2: { state: EC2_STATE, credentials: { accessKeyId: AK, secretAccessKey: SECRET } },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("packer validate passed; --dry-run stops here");
    const vars = readFileSync(join(out, "arv-image.auto.pkrvars.hcl"), "utf8");
    expect(vars).toMatch(/^ssh_username += "ubuntu"$/m);
    expect(vars).toMatch(/^aws_root_device += "\/dev\/sda1"$/m);
    expect(vars).toMatch(/^aws_source_ami += "ami-0e0000000000000c4"$/m);
    expect(vars).not.toContain(SECRET);
  });

  it("--json: one document on stdout, with what preflight found and chose in it", async () => {
    const out = join(tmp, "build-dry-run-json");
    const r = await scenario({
      argv: ["build", ...AWS, "--aws-secrets-file", secretsFile, "--aws-source-ami", "ami-0e0000000000000c4", "--out", out, "--dry-run", "--json"],
      env: { AWS_ENDPOINT_URL_EC2: "${EC2_URL}" },
      ec2: { state: EC2_STATE, credentials: { accessKeyId: AK, secretAccessKey: SECRET } },
    });
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as {
      schema: string;
      ok: boolean;
      dryRun: boolean;
      buildDirectory: string;
      preflight: { errors: number; chosen: Doc["chosen"]; findings: unknown[] };
    };
    expect(d).toMatchObject({ schema: "arv-image.build-result/v1", ok: true, dryRun: true, buildDirectory: out });
    expect(d.preflight.errors).toBe(0);
    expect(d.preflight.chosen).toEqual({ sshUser: "ubuntu", awsRootDevice: "/dev/sda1" });
    expect(d.preflight.findings.length).toBeGreaterThan(0);
    expect(r.stdout).not.toContain(SECRET);
  });

  it("--skip-preflight makes no cloud call", async () => {
    const out = join(tmp, "build-skip");
    const r = await scenario({
      argv: ["build", ...AWS, "--aws-secrets-file", secretsFile, "--out", out, "--dry-run", "--skip-preflight"],
      env: { AWS_ENDPOINT_URL_EC2: "${EC2_URL}" },
      ec2: { state: EC2_STATE },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.ec2.requests).toEqual([]);
  });
});

describe("preflight: Azure against loopback login and Resource Manager endpoints", () => {
  const TENANT = "00000000-0000-4000-8000-0000000000aa";
  const CLIENT = "00000000-0000-4000-8000-0000000000bb";
  const SUB = "00000000-0000-4000-8000-0000000000cc";
  const AZ_SECRET = "azure-canary-secret-41c2";
  const state = {
    tenants: { [TENANT]: { clients: [{ clientId: CLIENT, clientSecret: AZ_SECRET }] } },
    subscriptions: { [SUB]: { tenantId: TENANT, resourceGroups: [{ name: "arvados-images", location: "centralus" }] } },
    images: [{ location: "centralus", publisher: "Debian", offer: "debian-12", sku: "12-gen2", versions: ["0.20261001.1", "0.20261101.2"] }],
    vmSizes: { centralus: [{ name: "Standard_D2s_v5", numberOfCores: 2, memoryInMB: 8192 }] },
  };
  let azureSecrets: string;
  let ca: string;
  beforeAll(async () => {
    const paths = await makeTestCa(tlsDir);
    ca = paths.caCert;
    azureSecrets = join(tmp, "azure-secrets.sh");
    writeFileSync(azureSecrets, `export ARM_TENANT_ID=${TENANT}\nexport ARM_CLIENT_ID=${CLIENT}\nexport ARM_CLIENT_SECRET=${AZ_SECRET}\nexport ARM_SUBSCRIPTION_ID=${SUB}\n`);
  });
  const azure = (args: string[], secrets = azureSecrets, faults?: object) =>
    scenario({
      argv: [
        "preflight",
        "--cloud",
        "azure",
        "--arvados-cluster-id",
        "zzzzz",
        "--public-key-file",
        EXAMPLE_KEY,
        "--azure-secrets-file",
        secrets,
        "--azure-resource-group",
        "arvados-images",
        "--azure-sku",
        "12-gen2",
        "--json",
        ...args,
      ],
      env: { AZURE_AUTHORITY_HOST: "${AZURE_URL}", ARV_IMAGE_AZURE_ARM_ENDPOINT: "${AZURE_URL}", NODE_EXTRA_CA_CERTS: ca },
      azure: { state, tlsDir, faults },
    });

  it("passes when the service principal, resource group, image and size all exist", async () => {
    const r = await azure([]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    expect(d.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(finding(d, "azure.image")[0]?.message).toContain("Debian:debian-12:12-gen2 exists in centralus (2 versions, newest 0.20261101.2)");
    expect(r.stdout + r.stderr + JSON.stringify(r.azure.requests)).not.toContain(AZ_SECRET);
  });

  it.each([
    ["a resource group that does not exist", ["--azure-resource-group", "no-such-group"], "azure.resource-group", /no such resource group .*az group create --name no-such-group/],
    ["an image SKU that does not exist", ["--azure-sku", "11-gen2"], "azure.image", /Debian:debian-12:11-gen2 does not exist in centralus/],
    ["a VM size not offered there", ["--azure-vm-size", "Standard_NC6"], "azure.vm-size", /Standard_NC6 is not offered in centralus/],
  ])("finds %s", async (_, args, check, message) => {
    const r = await azure(args);
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual([check]);
    expect(errs[0]?.message).toMatch(message);
  });

  it("reports a wrong client secret as a credentials error with the fix", async () => {
    const wrong = join(tmp, "azure-wrong.sh");
    writeFileSync(wrong, readFileSync(azureSecrets, "utf8").replace(AZ_SECRET, "wrong-secret-value"));
    const r = await azure([], wrong);
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual(["azure.credentials"]);
    expect(errs[0]?.message).toMatch(
      /refused the client secret .*\(wrong or expired; AADSTS7000215: Invalid client secret provided\.\)\. Create a new secret \(az ad sp credential reset/s,
    );
    expect(r.stdout + r.stderr).not.toContain("wrong-secret-value");
  });

  it("a login host that never answers is an error after --preflight-timeout (the SDK's token call ignores aborts)", async () => {
    const r = await azure(["--preflight-timeout", "1"], azureSecrets, { token: { hang: true } });
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual(["azure.credentials"]);
    expect(errs[0]?.message).toMatch(/did not answer within 1 s/);
  });

  it("a Resource Manager call that never answers is an error for its check only", async () => {
    // Generous: the login and the other checks must answer within it on a loaded machine.
    const r = await azure(["--preflight-timeout", "5"], azureSecrets, { "virtualMachineSizes.list": { hang: true } });
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual(["azure.vm-size"]);
    expect(errs[0]?.message).toMatch(/did not answer within 5 s/);
    expect(finding(doc(r), "azure.image")[0]?.severity).toBe("info");
  });
});

describe("preflight: an Azure Compute Gallery destination against the loopback Resource Manager", () => {
  const TENANT = "00000000-0000-4000-8000-0000000000da";
  const CLIENT = "00000000-0000-4000-8000-0000000000db";
  const SUB = "00000000-0000-4000-8000-0000000000dc";
  const AZ_SECRET = "azure-gallery-canary-secret-93be";
  const gallery = `/subscriptions/${SUB}/resourceGroups/arvados-galleries/providers/Microsoft.Compute/galleries/arvgallery`;
  const definition = (name: string, props: object) => ({
    id: `${gallery}/images/${name}`,
    name,
    type: "Microsoft.Compute/galleries/images",
    location: "centralus",
    properties: {
      osType: "Linux",
      osState: "Generalized",
      hyperVGeneration: "V2",
      architecture: "x64",
      identifier: { publisher: "arvados", offer: "compute", sku: name },
      provisioningState: "Succeeded",
      ...props,
    },
  });
  const state = {
    tenants: { [TENANT]: { clients: [{ clientId: CLIENT, clientSecret: AZ_SECRET }] } },
    subscriptions: {
      [SUB]: {
        tenantId: TENANT,
        resourceGroups: [
          { name: "arvados-images", location: "centralus" },
          {
            name: "arvados-galleries",
            location: "centralus",
            resources: [
              { id: gallery, name: "arvgallery", type: "Microsoft.Compute/galleries", location: "centralus", properties: { provisioningState: "Succeeded" } },
              definition("compute", {}),
              definition("compute-gen1", { hyperVGeneration: "V1" }),
              definition("compute-arm", { architecture: "Arm64" }),
              definition("compute-windows", { osType: "Windows" }),
              {
                id: `${gallery}/images/compute/versions/2026.1101.1`,
                name: "2026.1101.1",
                type: "Microsoft.Compute/galleries/images/versions",
                location: "centralus",
                properties: { provisioningState: "Succeeded" },
              },
            ],
          },
        ],
      },
    },
    // Debian 12-gen2 is a generation 2 (V2), x64 image.
    images: [{ location: "centralus", publisher: "Debian", offer: "debian-12", sku: "12-gen2", versions: ["0.20261101.2"], hyperVGeneration: "V2", architecture: "x64" }],
    vmSizes: { centralus: [{ name: "Standard_D2s_v5", numberOfCores: 2, memoryInMB: 8192 }] },
  };
  let azureSecrets: string;
  let ca: string;
  beforeAll(async () => {
    ca = (await makeTestCa(join(tmp, "tls-gallery"))).caCert;
    azureSecrets = join(tmp, "azure-gallery-secrets.sh");
    writeFileSync(azureSecrets, `export ARM_TENANT_ID=${TENANT}\nexport ARM_CLIENT_ID=${CLIENT}\nexport ARM_CLIENT_SECRET=${AZ_SECRET}\nexport ARM_SUBSCRIPTION_ID=${SUB}\n`);
  });
  const preflight = (args: string[]) =>
    scenario({
      argv: [
        "preflight",
        "--cloud",
        "azure",
        "--arvados-cluster-id",
        "zzzzz",
        "--public-key-file",
        EXAMPLE_KEY,
        "--azure-secrets-file",
        azureSecrets,
        "--azure-resource-group",
        "arvados-images",
        "--azure-sku",
        "12-gen2",
        "--azure-gallery",
        "arvgallery",
        "--azure-gallery-resource-group",
        "arvados-galleries",
        "--json",
        ...args,
      ],
      env: { AZURE_AUTHORITY_HOST: "${AZURE_URL}", ARV_IMAGE_AZURE_ARM_ENDPOINT: "${AZURE_URL}", NODE_EXTRA_CA_CERTS: ca },
      azure: { state, tlsDir: join(tmp, "tls-gallery") },
    });
  const galleryFindings = (d: Doc) => d.findings.filter((f) => f.check === "azure.gallery");

  it("passes when the gallery and a fitting image definition exist and the version is new", async () => {
    const r = await preflight(["--azure-gallery-image", "compute", "--azure-gallery-version", "2026.1203.1"]);
    expect(r.code, r.stderr).toBe(0);
    const d = doc(r);
    expect(d.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(galleryFindings(d).map((f) => [f.check, f.message])).toEqual([
      ["azure.gallery", "gallery arvgallery exists in resource group arvados-galleries (centralus)"],
      ["azure.gallery", "image definition arvgallery/compute: Linux, V2, x64, as the source image"],
      ["azure.gallery", "version 2026.1203.1 of arvgallery/compute does not exist yet"],
    ]);
    expect(r.azure.requests.map((q) => q.route)).toEqual(expect.arrayContaining(["galleries.get", "galleryImages.get", "galleryImageVersions.get", "virtualMachineImages.get"]));
    expect(r.stdout + r.stderr + JSON.stringify(r.azure.requests)).not.toContain(AZ_SECRET);
  });

  it("--skip-check azure.gallery leaves the gallery destination unchecked", async () => {
    const r = await preflight(["--azure-gallery-image", "nodef", "--skip-check", "azure.gallery"]);
    expect(r.code, r.stderr).toBe(0);
    expect(galleryFindings(doc(r))).toEqual([]);
    expect(r.azure.requests.some((q) => (q.route ?? "").startsWith("galler"))).toBe(false);
  });

  it.each([
    [
      "a gallery that does not exist",
      ["--azure-gallery", "nogallery", "--azure-gallery-image", "compute"],
      "azure.gallery",
      /--azure-gallery nogallery: no such Azure Compute Gallery in resource group arvados-galleries .*az sig create --resource-group arvados-galleries --gallery-name nogallery/,
    ],
    [
      "an image definition that does not exist",
      ["--azure-gallery-image", "nodef"],
      "azure.gallery",
      /gallery arvgallery has no such image definition\. Create it to fit the source image \(az sig image-definition create .*--os-type Linux --os-state Generalized --hyper-v-generation V2 --architecture x64\)/,
    ],
    [
      "a generation 1 definition for a generation 2 source image",
      ["--azure-gallery-image", "compute-gen1"],
      "azure.gallery",
      /its Hyper-V generation is V1 but the source image Debian:debian-12:12-gen2 is V2/,
    ],
    ["an Arm64 definition", ["--azure-gallery-image", "compute-arm"], "azure.gallery", /its architecture is Arm64; arv-image's compute images are x64/],
    ["a Windows definition", ["--azure-gallery-image", "compute-windows"], "azure.gallery", /its OS type is Windows, not Linux/],
    [
      "a version that exists already",
      ["--azure-gallery-image", "compute", "--azure-gallery-version", "2026.1101.1"],
      "azure.gallery",
      /arvgallery\/compute already has version 2026\.1101\.1 .*az sig image-version delete/,
    ],
  ])("finds %s", async (_, args, check, message) => {
    const r = await preflight(args);
    expect(r.code).toBe(1);
    const errs = doc(r).findings.filter((f) => f.severity === "error");
    expect(errs.map((f) => f.check)).toEqual([check]);
    expect(errs[0]?.message).toMatch(message);
  });

  it("without --azure-gallery-version says the version comes from the build time", async () => {
    const r = await preflight(["--azure-gallery-image", "compute"]);
    expect(r.code, r.stderr).toBe(0);
    expect(galleryFindings(doc(r)).at(-1)?.message).toMatch(/YYYY\.MMDD\.hhmmss of the build start/);
  });
});

describe("preflight: GCP account file", () => {
  const key = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const file = (o: object) => {
    const p = join(tmp, `gcp-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(o));
    return p;
  };
  const gcp = (account: string) =>
    runCli(["preflight", "--cloud", "gcp", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--gcp-project-id", "arvados-images", "--gcp-account-file", account]);

  it("accepts a service-account key of the project", async () => {
    const r = await gcp(file({ type: "service_account", project_id: "arvados-images", private_key: key(), client_email: "packer@arvados-images.iam.gserviceaccount.com" }));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok +gcp\.account-file +service account packer@arvados-images\.iam\.gserviceaccount\.com of project arvados-images/);
  });

  it.each([
    [
      "a key of another project",
      { type: "service_account", project_id: "other-project", private_key: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", client_email: "a@b" },
      /belongs to project "other-project", not --gcp-project-id arvados-images/,
    ],
    ["user credentials", { type: "authorized_user", client_id: "x", refresh_token: "y" }, /is a "authorized_user" credential, not a service-account key/],
  ])("refuses %s", async (_, o, message) => {
    const r = await gcp(file(o));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(message);
  });

  it("a key file that is not valid JSON: where the mistake is, never the text around it (the private key)", async () => {
    // The key's base64 unquoted: Node's own message would quote it.
    const body = key().split("\n").slice(1, 3).join("");
    for (const [text, where] of [
      [`{\n  "type": "service_account",\n  "private_key": ${body}\n}\n`, /\(not valid JSON( at line \d+, column \d+)?\)/],
      [`{\n  "type": "service_account",\n  "private_key": "${body}",\n}\n`, /\(not valid JSON( at line \d+, column \d+)?\)/],
    ] as const) {
      const p = join(tmp, `gcp-bad-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(p, text);
      for (const json of [false, true]) {
        const r = await runCli([
          "preflight",
          "--cloud",
          "gcp",
          "--arvados-cluster-id",
          "zzzzz",
          "--public-key-file",
          EXAMPLE_KEY,
          "--gcp-project-id",
          "arvados-images",
          "--gcp-account-file",
          p,
          ...(json ? ["--json"] : []),
        ]);
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(where);
        for (const piece of [body.slice(0, 12), body.slice(20, 32)]) expect(r.stdout + r.stderr).not.toContain(piece);
      }
    }
  });
});
