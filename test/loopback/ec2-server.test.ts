/**
 * The loopback EC2 Query API server (test/support/ec2/) against the REAL @aws-sdk/client-ec2 that
 * preflight uses, plus raw HTTP for the wire-level error shapes. Packer (aws-sdk-go) uses the same
 * server later through `custom_endpoint_ec2`; see test/support/ec2/SPEC.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeRegionsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  type EC2ClientConfig,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEc2Server, type Ec2Server } from "../support/ec2/server.mjs";

// @aws-sdk 3.1169 warns on Node 20 otherwise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const SERVER = fileURLToPath(new URL("../support/ec2/server.mjs", import.meta.url));
const AK = "AKIAMOCKEC2TEST00001";
const SECRET = "CANARY-ec2-secret-3b9d7f";
const DEBIAN_OWNER = "136693071363";
const AMI_AMD64 = "ami-0d1e2b3c4a5f60718";
const AMI_ARM64 = "ami-0d1e2b3c4a5f60719";
const AMI_OLD = "ami-0d1e2b3c4a5f60710";
const VPC = "vpc-0aaaaaaaaaaaaaaa1";
const SUBNET_A = "subnet-0aaaaaaaaaaaaaaa1";
const SUBNET_B = "subnet-0aaaaaaaaaaaaaaa2";

const seed = {
  images: [
    { imageId: AMI_OLD, name: "debian-12-amd64-20260101-1000", ownerId: DEBIAN_OWNER, creationDate: "2026-01-01T10:00:00.000Z" },
    { imageId: AMI_AMD64, name: "debian-12-amd64-20261101-1500", ownerId: DEBIAN_OWNER, creationDate: "2026-11-01T15:00:00.000Z", tags: { Distro: "debian" } },
    { imageId: AMI_ARM64, name: "debian-12-arm64-20261101-1500", ownerId: DEBIAN_OWNER, architecture: "arm64" },
    { imageId: "ami-0fffffffffffffff0", name: "ubuntu-noble-24.04", ownerId: "099720109477", imageOwnerAlias: "aws-marketplace" },
  ],
  vpcs: [
    { vpcId: VPC, cidrBlock: "10.20.0.0/16" },
    { vpcId: "vpc-0ddddddddddddddd1", cidrBlock: "172.31.0.0/16", isDefault: true },
  ],
  subnets: [
    { subnetId: SUBNET_A, vpcId: VPC, availabilityZone: "us-east-1a", cidrBlock: "10.20.1.0/24", availableIpAddressCount: 12, tags: { Tier: "build" } },
    { subnetId: SUBNET_B, vpcId: VPC, availabilityZone: "us-east-1b", cidrBlock: "10.20.2.0/24", availableIpAddressCount: 250, tags: { Tier: "build" }, mapPublicIpOnLaunch: true },
    { subnetId: "subnet-0ddddddddddddddd1", vpcId: "vpc-0ddddddddddddddd1", availabilityZone: "us-east-1a", defaultForAz: true },
  ],
  // GPUs only in us-east-1b.
  instanceTypeOfferings: { "us-east-1a": ["m5.large", "t3.small"], "us-east-1c": ["m5.large"] },
  instanceTypes: ["m5.large", "t3.small", "g4dn.xlarge"],
};

let dir: string;
let ec2: Ec2Server;
let client: EC2Client;

function clientFor(url: string, extra: Partial<EC2ClientConfig> = {}): EC2Client {
  return new EC2Client({ region: "us-east-1", endpoint: url, credentials: { accessKeyId: AK, secretAccessKey: SECRET }, maxAttempts: 1, ...extra });
}

/** The SDK error of a failing call. */
async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-ec2-"));
  ec2 = await startEc2Server({ state: seed, credentials: { accessKeyId: AK, secretAccessKey: SECRET }, log: join(dir, "requests.jsonl") });
  client = clientFor(ec2.url);
});

afterAll(async () => {
  client?.destroy();
  await ec2?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("EC2 mock through @aws-sdk/client-ec2", () => {
  it("describes images by id", async () => {
    const r = await client.send(new DescribeImagesCommand({ ImageIds: [AMI_AMD64] }));
    expect(r.Images).toHaveLength(1);
    expect(r.Images?.[0]).toMatchObject({
      ImageId: AMI_AMD64,
      Name: "debian-12-amd64-20261101-1500",
      OwnerId: DEBIAN_OWNER,
      State: "available",
      Architecture: "x86_64",
      RootDeviceType: "ebs",
      RootDeviceName: "/dev/xvda",
      VirtualizationType: "hvm",
      CreationDate: "2026-11-01T15:00:00.000Z",
      Tags: [{ Key: "Distro", Value: "debian" }],
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, VolumeType: "gp2", DeleteOnTermination: true } }],
    });
    expect(r.Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId).toMatch(/^snap-0[0-9a-f]{16}$/);
  });

  it("filters images by name wildcards, owner, architecture and tags", async () => {
    const names = async (input: DescribeImagesCommandInput) => ((await client.send(new DescribeImagesCommand(input))).Images ?? []).map((i) => i.ImageId).sort();
    expect(await names({ Owners: [DEBIAN_OWNER], Filters: [{ Name: "name", Values: ["debian-12-*"] }] })).toEqual([AMI_OLD, AMI_AMD64, AMI_ARM64].sort());
    expect(
      await names({
        Owners: [DEBIAN_OWNER],
        Filters: [
          { Name: "name", Values: ["debian-12-*"] },
          { Name: "architecture", Values: ["x86_64"] },
        ],
      }),
    ).toEqual([AMI_OLD, AMI_AMD64].sort());
    expect(await names({ Filters: [{ Name: "name", Values: ["debian-12-amd64-2026?101-1500"] }] })).toEqual([AMI_AMD64]);
    expect(await names({ Filters: [{ Name: "name", Values: ["debian-12"] }] })).toEqual([]); // no implicit prefix match
    expect(await names({ Owners: ["self"], Filters: [{ Name: "name", Values: ["debian-12-*"] }] })).toEqual([]);
    expect(await names({ Owners: ["aws-marketplace"] })).toEqual(["ami-0fffffffffffffff0"]);
    expect(await names({ Filters: [{ Name: "tag:Distro", Values: ["deb*"] }] })).toEqual([AMI_AMD64]);
    const bad = await sdkError(client.send(new DescribeImagesCommand({ Filters: [{ Name: "colour", Values: ["x"] }] })));
    expect(bad).toMatchObject({ name: "InvalidParameterValue", status: 400 });
  });

  it("answers an unknown or malformed AMI id with AWS's errors", async () => {
    expect(await sdkError(client.send(new DescribeImagesCommand({ ImageIds: ["ami-00000000000000000"] })))).toEqual({
      name: "InvalidAMIID.NotFound",
      message: "The image id '[ami-00000000000000000]' does not exist",
      status: 400,
    });
    expect(await sdkError(client.send(new DescribeImagesCommand({ ImageIds: ["ami-nope"] })))).toMatchObject({ name: "InvalidAMIID.Malformed", status: 400 });
  });

  it("describes VPCs and subnets with ids and filters", async () => {
    const vpcs = await client.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
    expect(vpcs.Vpcs?.map((v) => v.VpcId)).toEqual(["vpc-0ddddddddddddddd1"]);
    const byId = await client.send(new DescribeVpcsCommand({ VpcIds: [VPC] }));
    expect(byId.Vpcs?.[0]).toMatchObject({ VpcId: VPC, CidrBlock: "10.20.0.0/16", IsDefault: false, State: "available" });
    expect(await sdkError(client.send(new DescribeVpcsCommand({ VpcIds: ["vpc-0123456789abcdef0"] })))).toMatchObject({ name: "InvalidVpcID.NotFound", status: 400 });

    const subnets = await client.send(
      new DescribeSubnetsCommand({
        Filters: [
          { Name: "vpc-id", Values: [VPC] },
          { Name: "tag:Tier", Values: ["build"] },
          { Name: "state", Values: ["available"] },
        ],
      }),
    );
    expect(subnets.Subnets?.map((s) => [s.SubnetId, s.AvailabilityZone, s.AvailableIpAddressCount])).toEqual([
      [SUBNET_A, "us-east-1a", 12],
      [SUBNET_B, "us-east-1b", 250],
    ]);
    const inB = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: "availability-zone", Values: ["us-east-1b"] }] }));
    expect(inB.Subnets?.map((s) => s.SubnetId)).toEqual([SUBNET_B]);
    expect(await sdkError(client.send(new DescribeSubnetsCommand({ SubnetIds: ["subnet-0123456789abcdef0"] })))).toEqual({
      name: "InvalidSubnetID.NotFound",
      message: "The subnet ID 'subnet-0123456789abcdef0' does not exist",
      status: 400,
    });
  });

  it("lists instance type offerings per AZ and per region, and regions and zones", async () => {
    const gpu = await client.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: "availability-zone",
        Filters: [{ Name: "instance-type", Values: ["g4dn.xlarge"] }],
      }),
    );
    expect(gpu.InstanceTypeOfferings).toEqual([{ InstanceType: "g4dn.xlarge", LocationType: "availability-zone", Location: "us-east-1b" }]);
    const inA = await client.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: "availability-zone", Filters: [{ Name: "location", Values: ["us-east-1a"] }] }));
    expect(inA.InstanceTypeOfferings?.map((o) => o.InstanceType).sort()).toEqual(["m5.large", "t3.small"]);
    const region = await client.send(new DescribeInstanceTypeOfferingsCommand({}));
    expect(region.InstanceTypeOfferings?.map((o) => `${o.LocationType}:${o.Location}:${o.InstanceType}`).sort()).toEqual(
      ["g4dn.xlarge", "m5.large", "t3.small"].map((t) => `region:us-east-1:${t}`),
    );
    const zones = await client.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones?.map((z) => [z.ZoneName, z.State, z.RegionName])).toEqual(["a", "b", "c"].map((l) => [`us-east-1${l}`, "available", "us-east-1"]));
    const regions = await client.send(new DescribeRegionsCommand({ RegionNames: ["us-east-1"] }));
    expect(regions.Regions?.map((r) => r.RegionName)).toEqual(["us-east-1"]);
  });

  it("runs Packer's flow: key pair, group, instance, image, tags, cleanup", async () => {
    const kp = await client.send(new CreateKeyPairCommand({ KeyName: "packer_test", KeyType: "ed25519" }));
    expect(kp.KeyMaterial).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const sg = await client.send(new CreateSecurityGroupCommand({ GroupName: "packer_test", Description: "Temporary group for Packer", VpcId: VPC }));
    await client.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg.GroupId,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const run = await client.send(
      new RunInstancesCommand({
        ImageId: AMI_AMD64,
        InstanceType: "m5.large",
        MinCount: 1,
        MaxCount: 1,
        KeyName: "packer_test",
        SecurityGroupIds: [sg.GroupId as string],
        SubnetId: SUBNET_B,
        InstanceInitiatedShutdownBehavior: "terminate",
        MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 2 },
        BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "gp3", Iops: 4000, Throughput: 250, DeleteOnTermination: true } }],
        TagSpecifications: [
          { ResourceType: "instance", Tags: [{ Key: "Name", Value: "Packer Builder" }] },
          { ResourceType: "volume", Tags: [{ Key: "purpose", Value: "bake" }] },
        ],
      }),
    );
    const id = run.Instances?.[0]?.InstanceId as string;
    expect(id).toMatch(/^i-0[0-9a-f]{16}$/);

    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const inst = described.Reservations?.[0]?.Instances?.[0];
    expect(inst).toMatchObject({
      State: { Name: "running", Code: 16 },
      PublicIpAddress: "127.0.0.1",
      PrivateIpAddress: "127.0.0.1",
      SubnetId: SUBNET_B,
      VpcId: VPC,
      Placement: { AvailabilityZone: "us-east-1b" },
      KeyName: "packer_test",
      Tags: [{ Key: "Name", Value: "Packer Builder" }],
      MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 2 },
      SecurityGroups: [{ GroupId: sg.GroupId, GroupName: "packer_test" }],
    });
    const rootVolume = inst?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId as string;
    const vols = await client.send(new DescribeVolumesCommand({ VolumeIds: [rootVolume] }));
    expect(vols.Volumes?.[0]).toMatchObject({ Size: 20, VolumeType: "gp3", Iops: 4000, Throughput: 250, State: "in-use", Tags: [{ Key: "purpose", Value: "bake" }] });
    const recorded = ec2.state.instances.find((i) => i.instanceId === id);
    expect(recorded).toMatchObject({ instanceInitiatedShutdownBehavior: "terminate", securityGroupIds: [sg.GroupId] });
    expect(recorded?.launchParams).toMatchObject({ "BlockDeviceMapping.1.Ebs.Throughput": "250", "MetadataOptions.HttpTokens": "required" });
    expect(ec2.state.subnets.find((s) => s.subnetId === SUBNET_B)?.availableIpAddressCount).toBe(249);

    // The group is in use while the instance lives.
    expect(await sdkError(client.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId })))).toMatchObject({ name: "DependencyViolation", status: 400 });

    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const image = await client.send(new CreateImageCommand({ InstanceId: id, Name: "arvados-compute-zzzzz" }));
    const dup = await sdkError(client.send(new CreateImageCommand({ InstanceId: id, Name: "arvados-compute-zzzzz" })));
    expect(dup).toEqual({ name: "InvalidAMIName.Duplicate", message: `AMI name arvados-compute-zzzzz is already in use by AMI ${image.ImageId}`, status: 400 });

    const made = (await client.send(new DescribeImagesCommand({ ImageIds: [image.ImageId as string] }))).Images?.[0];
    expect(made).toMatchObject({ State: "available", OwnerId: "123456789012", Architecture: "x86_64", RootDeviceType: "ebs" });
    const snapshotId = made?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
    await client.send(new CreateTagsCommand({ Resources: [image.ImageId as string, snapshotId], Tags: [{ Key: "arvados-cluster", Value: "zzzzz" }] }));
    const snaps = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(snaps.Snapshots?.[0]).toMatchObject({ VolumeSize: 20, State: "completed", Tags: [{ Key: "arvados-cluster", Value: "zzzzz" }] });

    const term = await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances?.[0]).toMatchObject({ CurrentState: { Name: "terminated", Code: 48 }, PreviousState: { Name: "stopped", Code: 80 } });
    const gone = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["terminated"] }] }));
    expect(gone.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([id]);
    const leftover = await client.send(new DescribeVolumesCommand({ Filters: [{ Name: "volume-id", Values: [rootVolume] }] }));
    expect(leftover.Volumes).toEqual([]); // deleted on termination
    await client.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId }));
    await client.send(new DeleteKeyPairCommand({ KeyName: "packer_test" }));
    expect(ec2.state.securityGroups).toEqual([]);
    expect(ec2.state.keyPairs).toEqual([]);
    expect(ec2.state.volumes).toEqual([]);
    expect(ec2.state.images.find((i) => i.imageId === image.ImageId)?.tags).toEqual([{ key: "arvados-cluster", value: "zzzzz" }]);
  });

  it("checks SigV4: the right secret passes, a wrong secret or an unknown key does not", async () => {
    await client.send(new DescribeRegionsCommand({}));
    const wrongSecret = clientFor(ec2.url, { credentials: { accessKeyId: AK, secretAccessKey: "not-the-secret" } });
    expect(await sdkError(wrongSecret.send(new DescribeRegionsCommand({})))).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
    const unknownKey = clientFor(ec2.url, { credentials: { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: SECRET } });
    expect(await sdkError(unknownKey.send(new DescribeRegionsCommand({})))).toEqual({
      name: "AuthFailure",
      message: "AWS was not able to validate the provided access credentials",
      status: 401,
    });
    wrongSecret.destroy();
    unknownKey.destroy();
  });

  it("injects faults: an error for the first N calls, then a delay past the client's timeout", async () => {
    ec2.state.faults.DescribeSubnets = { code: "UnauthorizedOperation", message: "You are not authorized to perform this operation.", times: 1 };
    expect(await sdkError(client.send(new DescribeSubnetsCommand({})))).toEqual({
      name: "UnauthorizedOperation",
      message: "You are not authorized to perform this operation.",
      status: 400,
    });
    expect((await client.send(new DescribeSubnetsCommand({}))).Subnets?.length).toBe(3);

    ec2.state.faults.DescribeVpcs = { delayMs: 1500 };
    // @smithy/node-http-handler 4.x only warns when requestTimeout passes, unless told to throw.
    const impatient = clientFor(ec2.url, { requestHandler: { requestTimeout: 150, throwOnRequestTimeout: true } });
    // The client's own time limit ends the call (the server would answer after 1.5 s).
    const err = await sdkError(impatient.send(new DescribeVpcsCommand({})));
    expect(err.name).toBe("TimeoutError");
    impatient.destroy();
    delete ec2.state.faults.DescribeSubnets;
    delete ec2.state.faults.DescribeVpcs;
  });

  it("keeps a request log, in memory and as JSONL, with no secrets in it", () => {
    const lines = readFileSync(join(dir, "requests.jsonl"), "utf8").trim().split("\n");
    const entries = lines.map((l) => JSON.parse(l) as { action: string; status: number; errorCode: string | null; params: Record<string, string> });
    // The timed-out DescribeVpcs is still being delayed; it is logged when it ends.
    expect(entries.length).toBe(ec2.requests.filter((r) => r.status !== null).length);
    expect(entries.find((e) => e.action === "RunInstances")?.params).toMatchObject({ ImageId: AMI_AMD64, "BlockDeviceMapping.1.Ebs.Iops": "4000" });
    expect(entries.filter((e) => e.errorCode === "SignatureDoesNotMatch")).toHaveLength(1);
    expect(entries.find((e) => e.errorCode === "UnauthorizedOperation")).toMatchObject({ action: "DescribeSubnets", status: 400 });
    const text = lines.join("\n");
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/AWS4-HMAC-SHA256|Signature=|authorization/i);
  });
});

describe("EC2 mock on the wire", () => {
  let open: Ec2Server;
  beforeAll(async () => {
    open = await startEc2Server();
  });
  afterAll(() => open?.close());

  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, { method: "POST", body: new URLSearchParams(form), headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...headers } });

  it("answers an unknown action with EC2's error XML and a 400", async () => {
    const r = await post(open.url, { Action: "LaunchRockets", Version: "2016-11-15" });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(
      /^<\?xml[^>]*>\s*<Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action LaunchRockets is not valid for this web service\.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it("accepts unsigned requests when no credentials are configured, and escapes XML", async () => {
    const r = await post(open.url, { Action: "CreateSecurityGroup", Version: "2016-11-15", GroupName: "a<b>&'\"", GroupDescription: "d" });
    expect(r.status).toBe(200);
    const id = /<groupId>(sg-[0-9a-f]+)<\/groupId>/.exec(await r.text())?.[1];
    const d = await (await post(open.url, { Action: "DescribeSecurityGroups", Version: "2016-11-15", "GroupId.1": id ?? "" })).text();
    expect(d).toContain("<groupName>a&lt;b&gt;&amp;&apos;&quot;</groupName>");
    expect(d).toMatch(/^<\?xml[^>]*>\s*<DescribeSecurityGroupsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>/);
  });

  it("rejects a forged signature and an unknown key when credentials are configured", async () => {
    const strict = await startEc2Server({ credentials: [{ accessKeyId: AK, secretAccessKey: SECRET }] });
    const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const auth = (key: string) =>
      `AWS4-HMAC-SHA256 Credential=${key}/${amzDate.slice(0, 8)}/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${"0".repeat(64)}`;
    const form = { Action: "DescribeRegions", Version: "2016-11-15" };
    const forged = await post(strict.url, form, { "x-amz-date": amzDate, authorization: auth(AK) });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const stranger = await post(strict.url, form, { "x-amz-date": amzDate, authorization: auth("AKIASTRANGER00000000") });
    expect(stranger.status).toBe(401);
    expect(await stranger.text()).toContain("<Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message>");
    const unsigned = await post(strict.url, form);
    expect(unsigned.status).toBe(401);
    await strict.close();
  });

  it("answers IAM GetInstanceProfile and STS GetCallerIdentity in their own XML", async () => {
    const iam = await (await post(open.url, { Action: "GetInstanceProfile", Version: "2010-05-08", InstanceProfileName: "builder" })).text();
    expect(iam).toMatch(/<GetInstanceProfileResponse[^>]*><GetInstanceProfileResult><InstanceProfile>.*<Roles><member>.*<RoleName>builder<\/RoleName>/);
    expect(iam).toContain("<Arn>arn:aws:iam::123456789012:instance-profile/builder</Arn>");
    const sts = await (await post(open.url, { Action: "GetCallerIdentity", Version: "2011-06-15" })).text();
    expect(sts).toMatch(
      /<GetCallerIdentityResponse[^>]*><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user\/[^<]+<\/Arn><UserId>[^<]+<\/UserId><Account>123456789012<\/Account><\/GetCallerIdentityResult>/,
    );
    const strictProfiles = await startEc2Server({ state: { instanceProfiles: ["builder"] } });
    const missing = await post(strictProfiles.url, { Action: "GetInstanceProfile", Version: "2010-05-08", InstanceProfileName: "other" });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/^<\?xml[^>]*>\s*<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code>/);
    await strictProfiles.close();
  });

  it("generates key material ssh-keygen accepts, matching the recorded public key", async () => {
    const keygen = spawnSync("ssh-keygen", ["-?"], { encoding: "utf8" });
    for (const type of ["ed25519", "rsa"]) {
      const xml = await (await post(open.url, { Action: "CreateKeyPair", Version: "2016-11-15", KeyName: `k-${type}`, KeyType: type })).text();
      const material = /<keyMaterial>([\s\S]*?)<\/keyMaterial>/.exec(xml)?.[1] ?? "";
      expect(material).toMatch(type === "rsa" ? /^-----BEGIN RSA PRIVATE KEY-----\n/ : /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      const recorded = open.state.keyPairs.find((k) => k.keyName === `k-${type}`);
      expect(recorded?.publicKey).toMatch(type === "rsa" ? /^ssh-rsa AAAA/ : /^ssh-ed25519 AAAA/);
      if (keygen.error) continue; // no ssh-keygen here: the format checks above still ran
      const file = join(dir, `key-${type}`);
      writeFileSync(file, material, { mode: 0o600 });
      const pub = spawnSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
      expect(pub.status, pub.stderr).toBe(0);
      expect(pub.stdout.trim()).toBe(recorded?.publicKey);
    }
  });

  it("close() ends a hanging request and returns promptly", async () => {
    const hanging = await startEc2Server({ faults: { DescribeKeyPairs: { hang: true } } });
    const pending = post(hanging.url, { Action: "DescribeKeyPairs", Version: "2016-11-15" }).then(
      () => "answered",
      () => "aborted",
    );
    await expect.poll(() => hanging.requests.map((r) => [r.action, r.status, r.fault])).toEqual([["DescribeKeyPairs", null, "hang"]]);
    // close() resolving at all is the point (a kept-alive hanging socket would block it).
    await hanging.close();
    expect(await pending).toBe("aborted");
  });
});

describe("EC2 mock standalone", () => {
  it("prints its port, serves the SDK, and logs until SIGTERM", async () => {
    const stateFile = join(dir, "standalone-state.json");
    const log = join(dir, "standalone.jsonl");
    writeFileSync(stateFile, JSON.stringify({ images: [{ imageId: AMI_AMD64, name: "debian-12-amd64" }] }));
    const child = spawn(process.execPath, [SERVER, "--port", "0", "--state", stateFile, "--log", log, "--access-key", AK, "--secret-key", SECRET], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const { port } = JSON.parse(line) as { port: number };
      expect(port).toBeGreaterThan(0);
      const standalone = clientFor(`http://127.0.0.1:${port}`);
      const r = await standalone.send(new DescribeImagesCommand({ ImageIds: [AMI_AMD64] }));
      expect(r.Images?.[0]?.Name).toBe("debian-12-amd64");
      standalone.destroy();
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
    const entries = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; status: number });
    expect(entries.map((e) => [e.action, e.status])).toEqual([["DescribeImages", 200]]);
  });
});
