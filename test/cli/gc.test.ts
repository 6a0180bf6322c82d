/**
 * `arv-image gc` through the real CLI and SDK, inside a network namespace, against the
 * loopback EC2 server: a failed build's tagged instance (with its packer_ key pair and
 * security group) is swept, an unexpired build's and untagged resources are not, and
 * --dry-run deletes nothing. (The sweep rules in depth, and a real Packer SIGKILLed
 * mid-build, are test/cli/gc-aws.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCa } from "../support/azure/ca.mjs";
import { runCli } from "../support/cli.js";
import { scenario } from "../support/netns.js";

const AK = "AKIAGCTEST0000000000";
const SK = "gc-canary-secret-55e1a0";
const past = new Date(Date.now() - 3 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const future = new Date(Date.now() + 3 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const tags = (id: string, expires: string) => [
  { key: "arv-image-build-id", value: id },
  { key: "arv-image-expires", value: expires },
];
const STATE = {
  keyPairs: [{ keyName: "packer_aaaaaaaa-0000-4000-8000-000000000001" }, { keyName: "packer_aaaaaaaa-0000-4000-8000-000000000002" }, { keyName: "ops-key" }],
  securityGroups: [
    { groupId: "sg-0a0000000000000f1", groupName: "packer_aaaaaaaa-0000-4000-8000-000000000001" },
    { groupId: "sg-0a0000000000000f2", groupName: "packer_aaaaaaaa-0000-4000-8000-000000000002" },
    { groupId: "sg-0a0000000000000f3", groupName: "packer_stray" },
  ],
  instances: [
    {
      instanceId: "i-0f000000000000001",
      imageId: "ami-0d0000000000000a2",
      instanceType: "m5.large",
      availabilityZone: "us-east-1a",
      privateIpAddress: "127.0.0.1",
      state: "running",
      launchTime: past,
      keyName: "packer_aaaaaaaa-0000-4000-8000-000000000001",
      securityGroupIds: ["sg-0a0000000000000f1"],
      tags: tags("arvimg-failed", past),
    },
    {
      instanceId: "i-0f000000000000002",
      imageId: "ami-0d0000000000000a2",
      instanceType: "m5.large",
      availabilityZone: "us-east-1a",
      privateIpAddress: "127.0.0.1",
      state: "running",
      launchTime: new Date().toISOString(),
      keyName: "packer_aaaaaaaa-0000-4000-8000-000000000002",
      securityGroupIds: ["sg-0a0000000000000f2"],
      tags: tags("arvimg-running", future),
    },
    {
      instanceId: "i-0f000000000000003",
      imageId: "ami-0d0000000000000a2",
      instanceType: "m5.large",
      availabilityZone: "us-east-1a",
      privateIpAddress: "127.0.0.1",
      state: "running",
      launchTime: past,
      keyName: "ops-key",
      securityGroupIds: ["sg-0a0000000000000f3"],
      tags: [],
    },
  ],
};

let tmp: string;
let secrets: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-gc-"));
  secrets = join(tmp, "aws-secrets.sh");
  writeFileSync(secrets, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=${SK}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gc = (args: string[]) =>
  scenario({
    argv: ["gc", "--cloud", "aws", "--aws-secrets-file", secrets, ...args],
    env: { AWS_ENDPOINT_URL_EC2: "${EC2_URL}" },
    ec2: { state: STATE, credentials: { accessKeyId: AK, secretAccessKey: SK } },
  });

describe("arv-image gc (AWS)", () => {
  it("--dry-run lists the failed build's leftovers and deletes nothing", async () => {
    const r = await gc(["--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^would +.*i-0f000000000000001/m);
    expect(r.stdout).toMatch(/^would +.*sg-0a0000000000000f1/m);
    expect(r.stdout).toMatch(/^would +.*packer_aaaaaaaa-0000-4000-8000-000000000001/m);
    expect(r.stdout).not.toMatch(/i-0f000000000000002|i-0f000000000000003|sg-0a0000000000000f3|ops-key/);
    expect(r.ec2.requests.every((q) => String(q.action).startsWith("Describe"))).toBe(true);
    expect(r.ec2.state.instances.every((i) => i.state === "running")).toBe(true);
  });

  it("deletes exactly the expired build's instance, key pair and security group, saying what it did", async () => {
    const r = await gc(["--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: string; ok: boolean; actions: { kind: string; id: string; done: boolean }[] };
    expect(doc.schema).toBe("arv-image.gc/v1");
    expect(doc.ok).toBe(true);
    expect(doc.actions.map((a) => `${a.kind} ${a.id} ${a.done}`).sort()).toEqual([
      "instance i-0f000000000000001 true",
      "key-pair packer_aaaaaaaa-0000-4000-8000-000000000001 true",
      "security-group sg-0a0000000000000f1 true",
    ]);
    const s = r.ec2.state;
    expect(s.instances.map((i) => `${i.instanceId} ${i.state}`)).toEqual(["i-0f000000000000001 terminated", "i-0f000000000000002 running", "i-0f000000000000003 running"]);
    expect(s.securityGroups.map((g) => g.groupId)).toEqual(["sg-0a0000000000000f2", "sg-0a0000000000000f3"]);
    expect(s.keyPairs.map((k) => k.keyName)).toEqual(["packer_aaaaaaaa-0000-4000-8000-000000000002", "ops-key"]);
    expect(r.stdout + r.stderr).not.toContain(SK);
  });

  it("--build-id: only that build's resources, even with --older-than 0m (a failed build's hint must not reach a build still running)", async () => {
    const running = await gc(["--build-id", "arvimg-running", "--older-than", "0m", "--dry-run"]);
    expect(running.code, running.stderr).toBe(0);
    expect(running.stdout).toMatch(/^would +.*i-0f000000000000002/m);
    expect(running.stdout).not.toMatch(/i-0f000000000000001|i-0f000000000000003|sg-0a0000000000000f1|ops-key/);
    const failed = await gc(["--build-id", "arvimg-failed", "--older-than", "0m", "--dry-run"]);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toMatch(/^would +.*i-0f000000000000001/m);
    expect(failed.stdout).not.toMatch(/i-0f000000000000002|i-0f000000000000003|sg-0a0000000000000f2/);
    const bad = await runCli(["gc", "--cloud", "aws", "--build-id", "build 7"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--build-id "build 7"');
  });

  it("takes only account flags; a bad duration is a usage error", async () => {
    const r = await runCli(["gc", "--cloud", "aws", "--older-than", "2 hours"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--older-than "2 hours"');
    const u = await runCli(["gc", "--cloud", "aws", "--public-key-file", "x.pub"]);
    expect(u.code).toBe(2);
  });
});

describe("arv-image gc (Azure)", () => {
  const TENANT = "00000000-0000-4000-8000-0000000000aa";
  const CLIENT = "00000000-0000-4000-8000-0000000000bb";
  const SUB = "00000000-0000-4000-8000-0000000000cc";
  const AZ_SECRET = "azure-gc-canary-9f0e";
  const group = (name: string, tags?: Record<string, string>, resources?: object[]) => ({
    name,
    location: "centralus",
    ...(tags ? { tags } : {}),
    ...(resources ? { resources } : {}),
  });
  const gallery = `/subscriptions/${SUB}/resourceGroups/arvados-images/providers/Microsoft.Compute/galleries/arvgallery`;
  const version = (v: string, tags?: Record<string, string>) => ({
    id: `${gallery}/images/compute/versions/${v}`,
    name: v,
    type: "Microsoft.Compute/galleries/images/versions",
    location: "centralus",
    ...(tags ? { tags } : {}),
    properties: { provisioningState: "Succeeded" },
  });
  const running = new Date(Date.now() + 11.5 * 3600_000).toISOString();
  const state = () => ({
    tenants: { [TENANT]: { clients: [{ clientId: CLIENT, clientSecret: AZ_SECRET }] } },
    subscriptions: {
      [SUB]: {
        tenantId: TENANT,
        resourceGroups: [
          // The operator's own group: never swept, but a failed build's gallery image version in it is.
          group("arvados-images", { "arv-image-build-id": "arvimg-ok" }, [
            { id: gallery, name: "arvgallery", type: "Microsoft.Compute/galleries", location: "centralus", properties: {} },
            { id: `${gallery}/images/compute`, name: "compute", type: "Microsoft.Compute/galleries/images", location: "centralus", properties: { osType: "Linux" } },
            version("2026.1201.100000", { "arv-image-build-id": "arvimg-failed", "arv-image-expires": past }),
            version("2026.1201.90000", { "arv-image-build-id": "arvimg-ok" }), // a successful build's: its expiry tag was removed
            version("2026.1203.100000", { "arv-image-build-id": "arvimg-running", "arv-image-expires": running }),
            version("1.0.0"), // published by hand
          ]),
          group("pkr-Resource-Group-failed01", { "arv-image-build-id": "arvimg-failed", "arv-image-expires": past }),
          // Started half an hour ago (expiry = start + 12 h): a bake still running.
          group("pkr-Resource-Group-running1", { "arv-image-build-id": "arvimg-running", "arv-image-expires": running }),
          group("pkr-Resource-Group-someone", {}), // not arv-image's
        ],
      },
    },
    images: [],
    vmSizes: {},
  });
  let tlsDir: string;
  let ca: string;
  let secretsFile: string;
  beforeAll(async () => {
    tlsDir = join(tmp, "tls");
    ca = (await makeTestCa(tlsDir)).caCert;
    secretsFile = join(tmp, "azure-secrets.sh");
    writeFileSync(secretsFile, `export ARM_TENANT_ID=${TENANT}\nexport ARM_CLIENT_ID=${CLIENT}\nexport ARM_CLIENT_SECRET=${AZ_SECRET}\nexport ARM_SUBSCRIPTION_ID=${SUB}\n`);
  });
  const azureGc = (args: string[]) =>
    scenario({
      argv: ["gc", "--cloud", "azure", "--azure-secrets-file", secretsFile, "--json", ...args],
      env: { AZURE_AUTHORITY_HOST: "${AZURE_URL}", ARV_IMAGE_AZURE_ARM_ENDPOINT: "${AZURE_URL}", NODE_EXTRA_CA_CERTS: ca },
      azure: { state: state(), tlsDir },
    });

  it("deletes only the expired temporary resource group and gallery image version of a failed build; --dry-run deletes nothing", async () => {
    const dry = await azureGc(["--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { actions: { id: string; done: boolean }[] }).actions).toEqual([
      expect.objectContaining({ id: "pkr-Resource-Group-failed01", done: false }),
      expect.objectContaining({ id: `${gallery}/images/compute/versions/2026.1201.100000`, done: false }),
    ]);
    expect(dry.azure.requests.filter((q) => q.method === "DELETE")).toEqual([]);

    const r = await azureGc([]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { cloud: string; actions: { kind: string; id: string; done: boolean }[] };
    expect(doc.cloud).toBe("azure");
    expect(doc.actions.map((a) => `${a.kind} ${a.id} ${a.done}`)).toEqual([
      "resource-group pkr-Resource-Group-failed01 true",
      `gallery-image-version ${gallery}/images/compute/versions/2026.1201.100000 true`,
    ]);
    const deletes = r.azure.requests.filter((q) => q.method === "DELETE").map((q) => q.path);
    expect(deletes).toEqual([`/subscriptions/${SUB}/resourcegroups/pkr-Resource-Group-failed01`, `${gallery}/images/compute/versions/2026.1201.100000`]);
    // The successful build's version (no expiry tag), the running build's and the hand-made one stay.
    expect(r.stdout + r.stderr + JSON.stringify(r.azure.requests)).not.toContain(AZ_SECRET);
  });
});
