/**
 * `gc` for AWS: sweepAws (dist/clouds/aws-gc.js) with the real @aws-sdk/client-ec2 against
 * the loopback EC2 Query-API server (test/support/ec2), every request SigV4-verified.
 * (a) a seeded account: what a failed build left, a finished product, a build in progress
 *     and untagged look-alikes; (b) the real worst case: real Packer (1.6.6) SIGKILLed while
 *     it waits for SSH, then swept; run inside `unshare --net` where the machine allows it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sweepAws } from "../../dist/clouds/aws-gc.js";
import { sweepReason, type SweepAction, type SweepOptions } from "../../dist/clouds/sweep-rule.js";
import type { CloudContext } from "../../dist/clouds/context.js";
import { startEc2Server, type Ec2Server, type Ec2State, type RequestLogEntry } from "../support/ec2/server.mjs";
import { REPO, run } from "../support/cli.js";
import { NETNS } from "../support/netns.js";
import { requireTool } from "../support/tools.js";

const AK = "AKIAGCSWEEPTEST00001";
const SECRET = "gc-sweep-canary-secret-5e1d";
const SELF = "123456789012";
const DEBIAN = "136693071363";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const hex = (n: number) => n.toString(16).padStart(16, "0");
const id = (prefix: string, n: number) => `${prefix}-0${hex(n)}`;
const iso = (t: number) => new Date(t).toISOString();

/** Everything a seeded instance needs, attached volumes included. */
function instance(
  n: number,
  o: { state: string; launched: number; tags: Record<string, string>; keyName?: string; groups?: string[]; volumes?: { id: string; deleteOnTermination: boolean }[] },
) {
  return {
    instanceId: id("i", n),
    reservationId: id("r", n),
    imageId: id("ami", 0xd1),
    instanceType: "t3.small",
    state: o.state,
    stateTransitionReason: "",
    ...(o.keyName ? { keyName: o.keyName } : {}),
    launchTime: iso(o.launched),
    availabilityZone: "us-east-1a",
    privateIpAddress: "127.0.0.1",
    securityGroupIds: o.groups ?? [],
    architecture: "x86_64",
    rootDeviceType: "ebs",
    rootDeviceName: "/dev/xvda",
    virtualizationType: "hvm",
    blockDeviceMapping: (o.volumes ?? []).map((v, i) => ({
      deviceName: `/dev/xvd${"abcdefgh"[i]}`,
      volumeId: v.id,
      deleteOnTermination: v.deleteOnTermination,
      attachTime: iso(o.launched),
    })),
    tags: o.tags,
    instanceInitiatedShutdownBehavior: "terminate",
    ebsOptimized: false,
    enaSupport: true,
    amiLaunchIndex: 0,
    metadataOptions: { httpTokens: "optional", httpEndpoint: "enabled", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
  };
}
function volume(volumeId: string, created: number, tags: Record<string, string>, attachedTo?: { instance: string; deleteOnTermination: boolean; device: string }) {
  return {
    volumeId,
    size: 20,
    volumeType: "gp3",
    availabilityZone: "us-east-1a",
    createTime: iso(created),
    tags,
    state: attachedTo ? "in-use" : "available",
    attachments: attachedTo
      ? [{ instanceId: attachedTo.instance, device: attachedTo.device, state: "attached", deleteOnTermination: attachedTo.deleteOnTermination, attachTime: iso(created) }]
      : [],
  };
}
const image = (imageId: string, name: string, created: number, tags: Record<string, string>, snapshotId: string) => ({
  imageId,
  name,
  ownerId: SELF,
  creationDate: iso(created),
  description: name,
  tags,
  blockDeviceMapping: [{ deviceName: "/dev/xvda", ebs: { snapshotId, volumeSize: 20, volumeType: "gp3", deleteOnTermination: true } }],
});
const snapshot = (snapshotId: string, started: number, tags: Record<string, string>) => ({ snapshotId, volumeSize: 20, startTime: iso(started), tags });

function ctxFor(url: string, timeoutMs = 5000, awsAmiRegions?: string[]): CloudContext {
  return {
    config: { options: { awsRegion: "us-east-1", ...(awsAmiRegions ? { awsAmiRegions } : {}) }, secretsFiles: [] } as unknown as CloudContext["config"],
    secrets: { AWS_ACCESS_KEY_ID: AK, AWS_SECRET_ACCESS_KEY: SECRET },
    env: { AWS_ENDPOINT_URL_EC2: url },
    timeoutMs,
  };
}

// ---- (a) the seeded account -------------------------------------------------------------

const T = Date.now();
const FAILED = "arvimg-20261120101500-0badf00d";
const OLDER = "arvimg-20261001090000-00c0ffee"; // tagged by an older arv-image: no expiry tag
const PRODUCT = "arvimg-20261122080000-600dcafe";
const OLD_PRODUCT = "arvimg-20261001080000-0ld0600d";
const LIVE = "arvimg-20261123115500-11feb11d";
const expired = { "arv-image-build-id": FAILED, "arv-image-expires": iso(T - 2 * HOUR) };
const live = { "arv-image-build-id": LIVE, "arv-image-expires": iso(T + 22 * HOUR) };

const I = { failed: id("i", 0xf1), older: id("i", 0xf2), live: id("i", 0xa1), untagged: id("i", 0xb1) };
const SG = { failed: id("sg", 0xf1), older: id("sg", 0xf2), live: id("sg", 0xa1), stray: id("sg", 0xb1), untaggedUser: id("sg", 0xb2) };
const KEY = {
  failed: "packer_5f1e2d3c-0000-4000-8000-00000000f001",
  live: "packer_5f1e2d3c-0000-4000-8000-00000000a001",
  ops: "ops-key",
  untagged: "packer_5f1e2d3c-0000-4000-8000-00000000b001",
};
const VOL = {
  failedRoot: id("vol", 0xf1),
  failedScratch: id("vol", 0xf2),
  live: id("vol", 0xa1),
  untagged: id("vol", 0xb1),
  nameOnly: id("vol", 0xb2),
  leftovers: [1, 2, 3, 4, 5, 6].map((n) => id("vol", 0xf00 + n)),
};
const AMI = { debian: id("ami", 0xd1), failed: id("ami", 0xf1), product: id("ami", 0x51), oldProduct: id("ami", 0x52), untagged: id("ami", 0xb1) };
const SNAP = { failed: id("snap", 0xf1), product: id("snap", 0x51), oldProduct: id("snap", 0x52), untagged: id("snap", 0xb1), stale: id("snap", 0xf3) };

const SEED = {
  keyPairs: [{ keyName: KEY.failed }, { keyName: KEY.live }, { keyName: KEY.ops }, { keyName: KEY.untagged }],
  securityGroups: [
    { groupId: SG.failed, groupName: "packer_5f1e2d3c-0000-4000-8000-00000000f0f0" },
    { groupId: SG.older, groupName: "launch-wizard-1" },
    { groupId: SG.live, groupName: "packer_5f1e2d3c-0000-4000-8000-00000000a0a0" },
    { groupId: SG.stray, groupName: "packer_x" },
    { groupId: SG.untaggedUser, groupName: "packer_5f1e2d3c-0000-4000-8000-00000000b0b0" },
  ],
  instances: [
    // The failed build: Packer was killed while provisioning; expired 2 h ago.
    instance(0xf1, {
      state: "running",
      launched: T - 3 * HOUR,
      tags: { ...expired, Name: "packer-arvados-zzzzz-compute-builder" },
      keyName: KEY.failed,
      groups: [SG.failed],
      volumes: [
        { id: VOL.failedRoot, deleteOnTermination: false },
        { id: VOL.failedScratch, deleteOnTermination: true },
      ],
    }),
    // An older build, tagged before expiry tags existed: swept by age (3 days > 24 h).
    instance(0xf2, { state: "stopped", launched: T - 3 * DAY, tags: { "arv-image-build-id": OLDER }, keyName: KEY.ops, groups: [SG.older] }),
    // A build in progress: not expired, 10 minutes old.
    instance(0xa1, { state: "running", launched: T - 10 * 60_000, tags: live, keyName: KEY.live, groups: [SG.live], volumes: [{ id: VOL.live, deleteOnTermination: true }] }),
    // Not arv-image's: an old running instance with a packer_-named key and group.
    instance(0xb1, { state: "running", launched: T - 30 * DAY, tags: { Name: "packer-arvados-zzzzz-compute-builder" }, keyName: KEY.untagged, groups: [SG.untaggedUser] }),
  ],
  volumes: [
    volume(VOL.failedRoot, T - 3 * HOUR, expired, { instance: I.failed, deleteOnTermination: false, device: "/dev/xvda" }),
    volume(VOL.failedScratch, T - 3 * HOUR, expired, { instance: I.failed, deleteOnTermination: true, device: "/dev/xvdb" }),
    ...VOL.leftovers.map((v) => volume(v, T - 5 * HOUR, expired)),
    volume(VOL.live, T - 10 * 60_000, live, { instance: I.live, deleteOnTermination: true, device: "/dev/xvda" }),
    volume(VOL.untagged, T - 30 * DAY, {}),
    // The build-id key as a value only: not the tag.
    volume(VOL.nameOnly, T - 30 * DAY, { Name: "arv-image-build-id" }),
  ],
  images: [
    { imageId: AMI.debian, name: "debian-12-amd64-20261101-1900", ownerId: DEBIAN, creationDate: "2026-11-01T19:00:00.000Z" },
    image(AMI.failed, "arvados-zzzzz-compute-20261120101500", T - 150 * 60_000, expired, SNAP.failed),
    // Finished products: the expiry tag was removed; one recent, one a month old.
    image(AMI.product, "arvados-zzzzz-compute-20261122080000", T - 28 * HOUR, { "arv-image-build-id": PRODUCT }, SNAP.product),
    image(AMI.oldProduct, "arvados-zzzzz-compute-20261001080000", T - 50 * DAY, { "arv-image-build-id": OLD_PRODUCT }, SNAP.oldProduct),
    image(AMI.untagged, "arvados-zzzzz-compute-handmade", T - 90 * DAY, {}, SNAP.untagged),
  ],
  snapshots: [
    snapshot(SNAP.failed, T - 150 * 60_000, expired),
    snapshot(SNAP.product, T - 28 * HOUR, { "arv-image-build-id": PRODUCT }),
    // The product's snapshot whose expiry removal failed half way: kept because its image is kept.
    snapshot(SNAP.oldProduct, T - 50 * DAY, { "arv-image-build-id": OLD_PRODUCT, "arv-image-expires": iso(T - 49 * DAY) }),
    snapshot(SNAP.untagged, T - 90 * DAY, {}),
    // A failed build's snapshot whose image is already gone.
    snapshot(SNAP.stale, T - 4 * DAY, { "arv-image-build-id": FAILED, "arv-image-expires": iso(T - 3 * DAY) }),
  ],
};

let ec2: Ec2Server | undefined;
afterEach(async () => {
  await ec2?.close();
  ec2 = undefined;
});
async function server(faults?: Ec2State["faults"], state: object = SEED): Promise<Ec2Server> {
  ec2 = await startEc2Server({ state, credentials: { accessKeyId: AK, secretAccessKey: SECRET }, ...(faults ? { faults } : {}) });
  return ec2;
}
const OPTS: SweepOptions = { olderThanMs: DAY, dryRun: false, now: new Date(T), pollMs: 50, waitMs: 5_000, pageSize: 5 };

/** The parts of the state a sweep may change. */
function inventory(s: Ec2State) {
  return {
    live: s.instances
      .filter((i) => i.state !== "terminated")
      .map((i) => i.instanceId)
      .sort(),
    groups: s.securityGroups.map((g) => g.groupId).sort(),
    keys: s.keyPairs.map((k) => k.keyName).sort(),
    volumes: s.volumes.map((v) => v.volumeId).sort(),
    images: s.images.map((i) => i.imageId).sort(),
    snapshots: s.snapshots.map((x) => x.snapshotId).sort(),
  };
}
const byKind = (actions: SweepAction[], kind: SweepAction["kind"]) =>
  actions
    .filter((a) => a.kind === kind)
    .map((a) => a.id)
    .sort();
const without = (all: string[], ...gone: string[]) => all.filter((x) => !gone.includes(x));

describe("gc: sweepAws against the loopback EC2 Query API", () => {
  it("the rule: build-id tag, and expired or older than the limit; products (no expiry) never", () => {
    const now = new Date("2026-11-23T12:00:00Z");
    const r = (tags: Record<string, string>, created: string, product = false) =>
      sweepReason(
        Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        created,
        { now, olderThanMs: DAY, product },
      );
    const b = { "arv-image-build-id": "arvimg-x" };
    expect(r({ ...b, "arv-image-expires": "2026-11-23T12:00:00Z" }, "2026-11-23T11:00:00Z")).toBe("expired 2026-11-23T12:00:00Z");
    expect(r({ ...b, "arv-image-expires": "2026-11-23T12:00:01Z" }, "2026-11-23T11:00:00Z")).toBeUndefined();
    expect(r({ ...b, "arv-image-expires": "2026-11-24T12:00:00Z" }, "2026-11-22T12:00:00Z")).toBe("created 2026-11-22T12:00:00.000Z, older than 1d");
    expect(r(b, "2026-11-20T00:00:00Z")).toMatch(/^created .*older than 1d$/);
    expect(r(b, "2026-11-20T00:00:00Z", true)).toBeUndefined(); // a product, however old
    expect(r({ ...b, "arv-image-expires": "tomorrow" }, "2026-11-23T00:00:00Z", true)).toBeUndefined();
    expect(r({ ...b, "arv-image-expires": "tomorrow" }, "2026-11-20T00:00:00Z", true)).toMatch(/older than 1d/);
    expect(r({ "arv-image-expires": "2020-01-01T00:00:00Z" }, "2020-01-01T00:00:00Z")).toBeUndefined(); // untagged
  });

  it("dry run: lists exactly the failed and stale builds' resources, with Describe calls only", async () => {
    const s = await server();
    const before = structuredClone(s.state);
    const { actions } = await sweepAws(ctxFor(s.url), { ...OPTS, dryRun: true });
    expect(s.requests.every((q) => q.action.startsWith("Describe") && q.status === 200)).toBe(true);
    expect(s.state).toEqual(before);
    expect(actions.every((a) => !a.done && a.error === undefined)).toBe(true);
    expect(actions.map((a) => a.kind)).toEqual(["instance", "instance", "security-group", "key-pair", ...Array(8).fill("volume"), "image", "snapshot", "snapshot"]);
    expect(byKind(actions, "instance")).toEqual([I.failed, I.older].sort());
    expect(byKind(actions, "security-group")).toEqual([SG.failed]);
    expect(byKind(actions, "key-pair")).toEqual([KEY.failed]);
    expect(byKind(actions, "volume")).toEqual([VOL.failedRoot, VOL.failedScratch, ...VOL.leftovers].sort());
    expect(byKind(actions, "image")).toEqual([AMI.failed]);
    expect(byKind(actions, "snapshot")).toEqual([SNAP.failed, SNAP.stale].sort());
    const what = Object.fromEntries(actions.map((a) => [a.id, a.what]));
    expect(what[I.failed]).toBe(`terminate instance ${I.failed} (running, build ${FAILED}, expired ${expired["arv-image-expires"]})`);
    expect(what[I.older]).toBe(`terminate instance ${I.older} (stopped, build ${OLDER}, launched ${iso(T - 3 * DAY)}, older than 1d)`);
    expect(what[SG.failed]).toMatch(new RegExp(`^delete security group ${SG.failed} "packer_.*" \\(Packer's temporary group of instance ${I.failed}, build ${FAILED}\\)$`));
    expect(what[VOL.failedScratch]).toContain(`attached to ${I.failed} (being terminated)`);
    expect(what[SNAP.failed]).toContain(`of image ${AMI.failed}`);
    expect(actions.every((a) => a.buildId === (a.id === I.older ? OLDER : FAILED))).toBe(true);
    // Every listing was by tag key, images and snapshots of this account only, and paged.
    const describes = s.requests.filter((q) => ["DescribeInstances", "DescribeVolumes", "DescribeImages", "DescribeSnapshots"].includes(q.action));
    for (const q of describes) expect(q.params).toMatchObject({ "Filter.1.Name": "tag-key", "Filter.1.Value.1": "arv-image-build-id", MaxResults: "5" });
    expect(s.requests.find((q) => q.action === "DescribeImages")?.params["Owner.1"]).toBe("self");
    expect(s.requests.find((q) => q.action === "DescribeSnapshots")?.params["Owner.1"]).toBe("self");
    expect(s.requests.filter((q) => q.action === "DescribeVolumes" && q.params.NextToken).length).toBeGreaterThan(0);
    expect(JSON.stringify(s.requests)).not.toContain(SECRET);
  });

  it("sweeps exactly the failed and stale builds' resources, in order, and nothing else", async () => {
    const s = await server();
    const before = inventory(s.state);
    const { actions } = await sweepAws(ctxFor(s.url), OPTS);
    expect(actions.filter((a) => !a.done || a.error)).toEqual([]);
    const after = inventory(s.state);
    expect(after).toEqual({
      live: without(before.live, I.failed, I.older),
      groups: without(before.groups, SG.failed),
      keys: without(before.keys, KEY.failed),
      volumes: without(before.volumes, VOL.failedRoot, VOL.failedScratch, ...VOL.leftovers),
      images: without(before.images, AMI.failed),
      snapshots: without(before.snapshots, SNAP.failed, SNAP.stale),
    });
    expect(
      s.state.instances
        .filter((i) => i.state === "terminated")
        .map((i) => i.instanceId)
        .sort(),
    ).toEqual([I.failed, I.older].sort());
    // The scratch volume went with its instance (DeleteOnTermination), and says so.
    expect(actions.find((a) => a.id === VOL.failedScratch)?.what).toBe(`volume ${VOL.failedScratch} was deleted with instance ${I.failed} (build ${FAILED})`);
    const changes = s.requests.filter((q) => !q.action.startsWith("Describe"));
    expect(changes.every((q) => q.status === 200)).toBe(true);
    const first = (a: string) => changes.findIndex((q) => q.action === a);
    const last = (a: string) => changes.map((q) => q.action).lastIndexOf(a);
    expect(last("TerminateInstances")).toBeLessThan(first("DeleteSecurityGroup"));
    expect(last("DeleteSecurityGroup")).toBeLessThan(first("DeleteKeyPair"));
    expect(last("DeleteKeyPair")).toBeLessThan(first("DeleteVolume"));
    expect(last("DeleteVolume")).toBeLessThan(first("DeregisterImage"));
    expect(last("DeregisterImage")).toBeLessThan(first("DeleteSnapshot"));
    expect(
      changes
        .filter((q) => q.action === "DeleteVolume")
        .map((q) => q.params.VolumeId)
        .sort(),
    ).toEqual([VOL.failedRoot, ...VOL.leftovers].sort());
    // A second sweep finds nothing left to do.
    const again = await sweepAws(ctxFor(s.url), OPTS);
    expect(again.actions).toEqual([]);
  });

  it("records each failure on its action and goes on; retries a group still in use", async () => {
    const s = await server({
      DeregisterImage: { code: "UnauthorizedOperation", message: "You are not authorized to perform this operation." },
      DeleteSecurityGroup: { code: "DependencyViolation", message: "resource has a dependent object", times: 2 },
      DeleteVolume: { code: "VolumeInUse", message: "still attached", times: 1 },
    });
    const { actions } = await sweepAws(ctxFor(s.url), OPTS);
    const get = (x: string) => actions.find((a) => a.id === x);
    expect(get(AMI.failed)).toMatchObject({ done: false, error: expect.stringContaining("UnauthorizedOperation: You are not authorized") });
    expect(get(SNAP.failed)).toMatchObject({ done: false, error: `not deleted: image ${AMI.failed} that uses it was not deregistered` });
    expect(get(SNAP.stale)).toMatchObject({ done: true });
    expect(get(SG.failed)).toMatchObject({ done: true });
    expect(s.requests.filter((q) => q.action === "DeleteSecurityGroup")).toHaveLength(3);
    expect(actions.filter((a) => a.kind === "volume").every((a) => a.done)).toBe(true);
    expect(inventory(s.state).images).toContain(AMI.failed);
    expect(inventory(s.state).live).not.toContain(I.failed);
  });

  it("a call that does not answer fails its action within the time limit; the instance's group and key are then kept", async () => {
    const s = await server({ TerminateInstances: { hang: true } });
    // Generous: every other call must answer within it on a loaded machine.
    const { actions } = await sweepAws(ctxFor(s.url, 5000), OPTS);
    expect(actions.find((a) => a.id === I.failed)).toMatchObject({ done: false, error: "TerminateInstances did not answer within 5 s" });
    expect(actions.find((a) => a.id === SG.failed)).toMatchObject({ done: false, error: `not deleted: its instance ${I.failed} is not terminated` });
    expect(actions.find((a) => a.id === KEY.failed)?.done).toBe(false);
    expect(actions.find((a) => a.id === VOL.failedRoot)).toMatchObject({ done: false, error: `not deleted: attached to instance ${I.failed}, which is not terminated` });
    expect(inventory(s.state).groups).toContain(SG.failed);
    expect(inventory(s.state).keys).toContain(KEY.failed);
    // The rest went on: the leftover volumes and the image are gone.
    expect(inventory(s.state).images).not.toContain(AMI.failed);
    for (const v of VOL.leftovers) expect(inventory(s.state).volumes).not.toContain(v);
  });

  it("also sweeps Packer's AMI copies in --aws-ami-regions, and keeps the product's copies", async () => {
    const WEST = "us-west-2";
    const copy = { failed: id("ami", 0xf9), product: id("ami", 0x59) };
    const copySnap = { failed: id("snap", 0xf9), product: id("snap", 0x59) };
    const s = await server(undefined, {
      ...SEED,
      regions: ["us-east-1", WEST],
      images: [
        ...SEED.images,
        { ...image(copy.failed, "arvados-zzzzz-compute-20261120101500", T - 140 * 60_000, expired, copySnap.failed), region: WEST },
        { ...image(copy.product, "arvados-zzzzz-compute-20261122080000", T - 27 * HOUR, { "arv-image-build-id": PRODUCT }, copySnap.product), region: WEST },
      ],
      snapshots: [
        ...SEED.snapshots,
        { ...snapshot(copySnap.failed, T - 140 * 60_000, expired), region: WEST },
        { ...snapshot(copySnap.product, T - 27 * HOUR, { "arv-image-build-id": PRODUCT }), region: WEST },
      ],
    });
    const { actions } = await sweepAws(ctxFor(s.url, 5000, [WEST]), OPTS);
    expect(actions.filter((a) => !a.done || a.error)).toEqual([]);
    const west = actions.filter((a) => a.region === WEST);
    expect(west.map((a) => [a.kind, a.id])).toEqual([
      ["image", copy.failed],
      ["snapshot", copySnap.failed],
    ]);
    expect(west[0]?.what).toBe(
      `deregister image ${copy.failed} "arvados-zzzzz-compute-20261120101500" in ${WEST} (available, build ${FAILED}, expired ${expired["arv-image-expires"]})`,
    );
    expect(s.state.images.filter((i) => i.region === WEST).map((i) => i.imageId)).toEqual([copy.product]);
    expect(s.state.snapshots.filter((x) => x.region === WEST).map((x) => x.snapshotId)).toEqual([copySnap.product]);
    // Only images and snapshots are looked for there; the rest only where the build runs.
    expect([...new Set(s.requests.filter((q) => q.region === WEST).map((q) => q.action))].sort()).toEqual([
      "DeleteSnapshot",
      "DeregisterImage",
      "DescribeImages",
      "DescribeSnapshots",
    ]);
    expect(inventory(s.state).images).not.toContain(AMI.failed);
  });

  it("a listing that fails throws before anything is changed", async () => {
    const s = await server({ DescribeSnapshots: { code: "UnauthorizedOperation", message: "nope" } });
    await expect(sweepAws(ctxFor(s.url), OPTS)).rejects.toThrow(
      /cannot list snapshots in us-east-1 at http:\/\/127\.0\.0\.1:\d+: UnauthorizedOperation: nope\. Nothing was changed\./,
    );
    expect(s.requests.every((q) => q.action.startsWith("Describe"))).toBe(true);
  });
});

// ---- (b) the real worst case: Packer SIGKILLed while waiting for SSH ----------------------

interface WorstCase {
  netns: boolean;
  error?: string;
  packer: { output: string; signal: string | null; leftProcesses: string[] };
  packerRequests: RequestLogEntry[];
  left: Ec2State;
  requestsAfterKill: RequestLogEntry[];
  sweeps: { result: { actions: SweepAction[] }; requests: RequestLogEntry[] }[];
  final: Ec2State;
  requests: RequestLogEntry[];
}

describe(`gc: after real Packer was SIGKILLed (${NETNS ? "in a network namespace" : "on the host's loopback"})`, () => {
  beforeAll(() => requireTool("packer", ["version"]));

  it("the builder instance, its security group and key pair are left behind; the sweep removes them all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "arv-image-gc-packer-"));
    try {
      const buildId = "arvimg-20261123120000-5ca1ab1e";
      const expires = new Date(Date.now() + DAY).toISOString().replace(/\.\d+Z$/, "Z");
      const specFile = join(dir, "spec.json");
      writeFileSync(
        specFile,
        JSON.stringify({
          dir,
          accessKey: AK,
          secretKey: SECRET,
          buildId,
          expires,
          sourceAmi: AMI.debian,
          seed: { images: [{ imageId: AMI.debian, name: "debian-12-amd64-20261101-1900", ownerId: DEBIAN, creationDate: "2026-11-01T19:00:00.000Z" }] },
          sweeps: [
            // Right after the kill: the build has not expired and is minutes old: kept.
            { olderThanMs: DAY, dryRun: false },
            // Once it has expired.
            { olderThanMs: DAY, dryRun: false, now: new Date(Date.parse(expires) + 60_000).toISOString() },
          ],
        }),
      );
      const runner = `${REPO}test/support/gc/packer-killed.mjs`;
      const r = NETNS
        ? await run("unshare", ["--net", "--", process.execPath, runner, specFile], { env: { ...process.env, ARV_IMAGE_TEST_NETNS: "1" } })
        : await run(process.execPath, [runner, specFile]);
      expect(r.code, r.stderr).toBe(0);
      const w = JSON.parse(r.stdout) as WorstCase;
      expect(w.error, w.packer?.output).toBeUndefined();
      expect(w.netns).toBe(NETNS);
      expect(w.packer.output).toMatch(/amazon-ebs\.gc: Waiting for SSH to become available/);
      expect(w.packer.signal).toBe("SIGKILL");
      expect(w.packer.leftProcesses).toEqual([]);
      // Packer cleaned up nothing.
      expect(w.requestsAfterKill).toEqual([]);
      expect(w.packerRequests.map((q) => q.action)).toContain("RunInstances");
      expect(w.packerRequests.map((q) => q.action)).not.toContain("TerminateInstances");

      // Left behind: the running, tagged instance, its packer_ group and key pair, its volume.
      const inst = w.left.instances;
      expect(inst).toHaveLength(1);
      const i = inst[0]!;
      expect(i.state).toBe("running");
      expect(Object.fromEntries(i.tags.map((t) => [t.key, t.value]))).toMatchObject({ "arv-image-build-id": buildId, "arv-image-expires": expires });
      expect(i.keyName).toMatch(/^packer_/);
      expect(w.left.keyPairs.map((k) => k.keyName)).toEqual([i.keyName]);
      expect(i.securityGroupIds).toHaveLength(1);
      const sg = w.left.securityGroups.find((g) => g.groupId === i.securityGroupIds[0]);
      expect(sg?.groupName).toMatch(/^packer_/);
      expect(w.left.volumes).toHaveLength(1);
      expect(w.left.volumes[0]!.tags).toContainEqual({ key: "arv-image-build-id", value: buildId });
      expect(w.left.images.map((x) => x.imageId)).toEqual([AMI.debian]);

      // Not yet expired, minutes old: the first sweep keeps it all and changes nothing.
      expect(w.sweeps[0]!.result.actions).toEqual([]);
      expect(w.sweeps[0]!.requests.every((q) => q.action.startsWith("Describe"))).toBe(true);

      // Expired: everything goes.
      const actions = w.sweeps[1]!.result.actions;
      expect(actions.map((a) => [a.kind, a.done, a.error])).toEqual([
        ["instance", true, undefined],
        ["security-group", true, undefined],
        ["key-pair", true, undefined],
        ["volume", true, undefined],
      ]);
      expect(actions.map((a) => a.id)).toEqual([i.instanceId, sg?.groupId, i.keyName, w.left.volumes[0]!.volumeId]);
      expect(actions[0]!.what).toBe(`terminate instance ${i.instanceId} (running, build ${buildId}, expired ${expires})`);
      expect(w.final.instances.map((x) => x.state)).toEqual(["terminated"]);
      expect(w.final.securityGroups.filter((g) => g.groupName.startsWith("packer_"))).toEqual([]);
      expect(w.final.keyPairs).toEqual([]);
      expect(w.final.volumes).toEqual([]);
      expect(w.final.images.map((x) => x.imageId)).toEqual([AMI.debian]);
      expect(w.sweeps[1]!.requests.filter((q) => !q.action.startsWith("Describe")).map((q) => q.action)).toEqual(["TerminateInstances", "DeleteSecurityGroup", "DeleteKeyPair"]);
      expect(w.requests.every((q) => q.status === 200)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
