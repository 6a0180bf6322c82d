/**
 * Sweeping what failed or killed AWS builds left behind, through the real EC2 API
 * (@aws-sdk/client-ec2). The client is built as preflight builds it (src/clouds/aws.ts):
 * credentials from the secrets file's exports, else --aws-profile, else the SDK's default
 * chain; the endpoint from AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL in the context's
 * environment; every call limited to `ctx.timeoutMs`. Everything is swept in --aws-region;
 * images and snapshots also in each of --aws-ami-regions (Packer's copies carry the same tags).
 *
 * What a build leaves is tagged by the rendered template: the builder instance (run_tags),
 * its volumes (run_volume_tags), the AMI (tags) and its snapshots (snapshot_tags) carry
 * `arv-image-build-id = <build id>` and `arv-image-expires = <ISO 8601 UTC>`. After a
 * successful build arv-image removes `arv-image-expires` from the AMI and its snapshots.
 *
 * THE SWEEP RULE. A resource is swept when
 *   1. it carries the tag key `arv-image-build-id` (any value), and
 *   2. either (a) its `arv-image-expires` value is an ISO 8601 UTC time
 *      (YYYY-MM-DDThh:mm:ss[.fff]Z) at or before `now`, or (b) its launch/creation time
 *      (instance LaunchTime, volume CreateTime, snapshot StartTime, image CreationDate)
 *      is at least `olderThanMs` before `now`;
 *   3. except that an image or snapshot WITHOUT `arv-image-expires` is a finished product
 *      and is never swept, however old (rule 2b applies to images and snapshots only while
 *      they still carry the tag, whatever its value). Instances and volumes are never
 *      products: 2b applies to them with or without the tag.
 * An `arv-image-expires` value that is not such a time expires nothing (2a is false) but
 * still marks the image or snapshot as unfinished (2b applies).
 * Untagged resources are never touched, with one exception: Packer 1.6.6 cannot tag its
 * temporary key pair and security group, so those are found through the instances swept
 * above (KeyName, SecurityGroups, network interfaces' Groups), and deleted only when their
 * names start with "packer_" and no tagged instance that is kept (and not terminated)
 * references them. A snapshot that a kept tagged image uses is kept too.
 * Terminated instances are not terminated again, but their key pairs and groups are swept
 * (a previous sweep may have stopped half way).
 *
 * ORDER. Everything is listed first (Describe* with Filter tag-key=arv-image-build-id,
 * Owner=self for images and snapshots, every page). A listing failure throws, before
 * anything was changed. Then, unless dryRun: terminate instances and wait until they are
 * terminated (at most `waitMs`); delete their security groups and key pairs (only those of
 * instances now terminated); delete volumes (those deleted with their instance are
 * reported as such); deregister images; delete their snapshots. A resource still in use
 * just after its instance ended (DependencyViolation, VolumeInUse) is retried every
 * `pollMs` for at most `waitMs`. Each failure is recorded on its action; none is thrown.
 * dryRun makes only the Describe calls and returns the same actions with done=false.
 */
import { carryOutAwsSweep, chunks, type AwsSweepPlan, type InstancePlan } from "./aws-gc-execute.js";
import { ec2Client, loadEc2 } from "./aws.js";
import type { CloudContext } from "./context.js";
import { callError, sweepReason, type SweepAction, type SweepOptions, type SweepResult } from "./sweep-rule.js";
import { BUILD_ID_TAG } from "./tags.js";
import { withTimeout } from "./timeout.js";

/** The name prefix of Packer's temporary key pairs and security groups. */
export const PACKER_PREFIX = "packer_";

type Ec2 = typeof import("./ec2-sdk.js");
type Tag = import("@aws-sdk/client-ec2").Tag;
type Instance = import("@aws-sdk/client-ec2").Instance;
type Volume = import("@aws-sdk/client-ec2").Volume;
type Image = import("@aws-sdk/client-ec2").Image;
type Snapshot = import("@aws-sdk/client-ec2").Snapshot;
type SecurityGroup = import("@aws-sdk/client-ec2").SecurityGroup;
type KeyPairInfo = import("@aws-sdk/client-ec2").KeyPairInfo;

const tagValue = (tags: readonly Tag[] | undefined, k: string) => tags?.find((t) => t.Key === k)?.Value ?? "";

export async function sweepAws(ctx: CloudContext, opts: SweepOptions): Promise<SweepResult> {
  if (typeof opts.olderThanMs !== "number" || Number.isNaN(opts.olderThanMs) || opts.olderThanMs < 0) {
    throw new RangeError(`olderThanMs must be a non-negative number of milliseconds, not ${String(opts.olderThanMs)}`);
  }
  const sdk = await loadEc2();
  const now = opts.now ?? new Date();
  const waitMs = opts.waitMs ?? 300_000;
  const pollMs = opts.pollMs ?? 5_000;
  const pageSize = opts.pageSize ?? 200;
  const o = ctx.config.options;
  const region = o.awsRegion;
  const ms = ctx.timeoutMs;
  const endpoint = ctx.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true" ? undefined : ctx.env.AWS_ENDPOINT_URL_EC2 || ctx.env.AWS_ENDPOINT_URL || undefined;
  const clients = new Map<string, InstanceType<Ec2["EC2Client"]>>();
  const clientFor = (r: string) => {
    let c = clients.get(r);
    if (!c) {
      c = ec2Client(sdk, ctx, r, endpoint ? { endpoint } : {});
      clients.set(r, c);
    }
    return c;
  };
  const send = <T>(what: string, command: object, r = region) => withTimeout(what, ms, (abortSignal) => clientFor(r).send(command as never, { abortSignal }) as Promise<T>);
  /** Where the AMI is built, then where Packer copied it (images and snapshots only). */
  const imageRegions = [...new Set([region, ...(o.awsAmiRegions ?? [])])];
  const tagged = [{ Name: "tag-key", Values: [BUILD_ID_TAG] }];
  const rule = (tags: Tag[] | undefined, created: Date | string | undefined, product: boolean, createdWord?: string) =>
    sweepReason(tags, created, { now, olderThanMs: opts.olderThanMs, buildId: opts.buildId, product, ...(createdWord ? { createdWord } : {}) });

  /** Every page of a Describe call. */
  async function all<T>(what: string, make: (token: string | undefined) => object, items: (page: Record<string, unknown>) => T[] | undefined, r = region): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const page = await send<Record<string, unknown> & { NextToken?: string }>(what, make(token), r);
      out.push(...(items(page) ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }
  const listing = async <T>(what: string, fn: () => Promise<T>, r = region): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw new Error(`cannot list ${what} in ${r}${endpoint ? ` at ${endpoint}` : ""}: ${callError(e).replace(/\.$/, "")}. Nothing was changed.`, { cause: e });
    }
  };

  try {
    // ---- 1. List everything, change nothing.
    const instances = await listing("instances", () =>
      all<Instance>(
        "DescribeInstances",
        (NextToken) => new sdk.DescribeInstancesCommand({ Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
        (p) => ((p.Reservations ?? []) as { Instances?: Instance[] }[]).flatMap((r) => r.Instances ?? []),
      ),
    );
    const volumes = await listing("volumes", () =>
      all<Volume>(
        "DescribeVolumes",
        (NextToken) => new sdk.DescribeVolumesCommand({ Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
        (p) => p.Volumes as Volume[] | undefined,
      ),
    );
    const stored: { region: string; images: Image[]; snapshots: Snapshot[] }[] = [];
    for (const r of imageRegions) {
      const images = await listing(
        "images",
        () =>
          all<Image>(
            "DescribeImages",
            (NextToken) => new sdk.DescribeImagesCommand({ Owners: ["self"], Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
            (p) => p.Images as Image[] | undefined,
            r,
          ),
        r,
      );
      const snapshots = await listing(
        "snapshots",
        () =>
          all<Snapshot>(
            "DescribeSnapshots",
            (NextToken) => new sdk.DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
            (p) => p.Snapshots as Snapshot[] | undefined,
            r,
          ),
        r,
      );
      stored.push({ region: r, images, snapshots });
    }

    const sweptInstances: InstancePlan[] = [];
    const keptRefs = { groups: new Set<string>(), keys: new Set<string>() };
    const groupsOf = (i: Instance) =>
      new Set([...(i.SecurityGroups ?? []), ...(i.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])].map((g) => g.GroupId).filter((g): g is string => !!g));
    for (const inst of instances) {
      if (!inst.InstanceId) continue;
      const reason = rule(inst.Tags, inst.LaunchTime, false, "launched");
      if (reason) sweptInstances.push({ inst, id: inst.InstanceId, buildId: tagValue(inst.Tags, BUILD_ID_TAG), reason });
      else if (inst.State?.Name !== "terminated") {
        for (const g of groupsOf(inst)) keptRefs.groups.add(g);
        if (inst.KeyName) keptRefs.keys.add(inst.KeyName);
      }
    }

    // Packer's temporary groups and key pairs, through the swept instances only.
    const groupOwner = new Map<string, InstancePlan>();
    const keyOwner = new Map<string, InstancePlan>();
    for (const p of sweptInstances) {
      for (const g of groupsOf(p.inst)) if (!keptRefs.groups.has(g) && !groupOwner.has(g)) groupOwner.set(g, p);
      const k = p.inst.KeyName;
      if (k && k.startsWith(PACKER_PREFIX) && !keptRefs.keys.has(k) && !keyOwner.has(k)) keyOwner.set(k, p);
    }
    const groups: SecurityGroup[] = [];
    for (const ids of chunks([...groupOwner.keys()], 100)) {
      groups.push(
        ...(await listing("security groups", () =>
          all<SecurityGroup>(
            "DescribeSecurityGroups",
            (NextToken) => new sdk.DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-id", Values: ids }], MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
            (p) => p.SecurityGroups as SecurityGroup[] | undefined,
          ),
        )),
      );
    }
    const keyPairs: KeyPairInfo[] = [];
    for (const names of chunks([...keyOwner.keys()], 100)) {
      const r = await listing("key pairs", () =>
        send<{ KeyPairs?: KeyPairInfo[] }>("DescribeKeyPairs", new sdk.DescribeKeyPairsCommand({ Filters: [{ Name: "key-name", Values: names }] })),
      );
      keyPairs.push(...(r.KeyPairs ?? []));
    }

    // ---- 2. The plan, in the order it is carried out.
    const actions: SweepAction[] = [];
    const add = (a: Omit<SweepAction, "done" | "region">, r = region): SweepAction => {
      const action: SweepAction = { kind: a.kind, id: a.id, region: r, buildId: a.buildId, what: a.what, done: false };
      actions.push(action);
      return action;
    };
    for (const p of sweptInstances) {
      const state = p.inst.State?.Name ?? "unknown";
      if (state === "terminated") continue;
      p.action = add({ kind: "instance", id: p.id, buildId: p.buildId, what: `terminate instance ${p.id} (${state}, build ${p.buildId}, ${p.reason})` });
    }
    const groupActions: { action: SweepAction; owner: InstancePlan }[] = [];
    for (const g of groups) {
      const owner = g.GroupId ? groupOwner.get(g.GroupId) : undefined;
      if (!owner || !g.GroupId || !g.GroupName?.startsWith(PACKER_PREFIX)) continue;
      const action = add({
        kind: "security-group",
        id: g.GroupId,
        buildId: owner.buildId,
        what: `delete security group ${g.GroupId} "${g.GroupName}" (Packer's temporary group of instance ${owner.id}, build ${owner.buildId})`,
      });
      groupActions.push({ action, owner });
    }
    const keyActions: { action: SweepAction; owner: InstancePlan; keyPairId: string | undefined }[] = [];
    for (const k of keyPairs) {
      const owner = k.KeyName ? keyOwner.get(k.KeyName) : undefined;
      if (!owner || !k.KeyName) continue;
      const action = add({
        kind: "key-pair",
        id: k.KeyName,
        buildId: owner.buildId,
        what: `delete key pair ${k.KeyName} (Packer's temporary key of instance ${owner.id}, build ${owner.buildId})`,
      });
      keyActions.push({ action, owner, keyPairId: k.KeyPairId });
    }
    const terminating = new Set(sweptInstances.filter((p) => p.action).map((p) => p.id));
    const volumeActions: { action: SweepAction; vol: Volume }[] = [];
    for (const vol of volumes) {
      const reason = vol.VolumeId ? rule(vol.Tags, vol.CreateTime, false) : undefined;
      if (!reason || !vol.VolumeId) continue;
      const b = tagValue(vol.Tags, BUILD_ID_TAG);
      const att = (vol.Attachments ?? []).map((a) => a.InstanceId).filter((i): i is string => !!i);
      const note = att.length ? `, attached to ${att.join(", ")}${att.every((i) => terminating.has(i)) ? " (being terminated)" : ""}` : "";
      const action = add({ kind: "volume", id: vol.VolumeId, buildId: b, what: `delete volume ${vol.VolumeId} (${vol.State ?? "?"}${note}, build ${b}, ${reason})` });
      volumeActions.push({ action, vol });
    }
    const imageActions: { action: SweepAction; image: Image }[] = [];
    const keptSnapshots = new Set<string>(); // "region snap-…"
    const snapshotsOf = (i: Image) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((x): x is string => !!x);
    const inRegion = (r: string) => (r === region ? "" : ` in ${r}`);
    for (const { region: r, images } of stored) {
      for (const image of images) {
        if (!image.ImageId) continue;
        const reason = rule(image.Tags, image.CreationDate, true);
        if (!reason) {
          for (const sn of snapshotsOf(image)) keptSnapshots.add(`${r} ${sn}`);
          continue;
        }
        const b = tagValue(image.Tags, BUILD_ID_TAG);
        const action = add(
          {
            kind: "image",
            id: image.ImageId,
            buildId: b,
            what: `deregister image ${image.ImageId}${image.Name ? ` "${image.Name}"` : ""}${inRegion(r)} (${image.State ?? "?"}, build ${b}, ${reason})`,
          },
          r,
        );
        imageActions.push({ action, image });
      }
    }
    const snapshotActions: { action: SweepAction; users: SweepAction[] }[] = [];
    for (const { region: r, snapshots } of stored) {
      for (const snap of snapshots) {
        const reason = snap.SnapshotId ? rule(snap.Tags, snap.StartTime, true) : undefined;
        if (!reason || !snap.SnapshotId || keptSnapshots.has(`${r} ${snap.SnapshotId}`)) continue;
        const b = tagValue(snap.Tags, BUILD_ID_TAG);
        const users = imageActions.filter((x) => x.action.region === r && snapshotsOf(x.image).includes(snap.SnapshotId as string));
        const of = users.length ? `, of image ${users.map((u) => u.action.id).join(", ")}` : "";
        const action = add(
          {
            kind: "snapshot",
            id: snap.SnapshotId,
            buildId: b,
            what: `delete snapshot ${snap.SnapshotId}${inRegion(r)} (${snap.VolumeSize ?? "?"} GiB${of}, build ${b}, ${reason})`,
          },
          r,
        );
        snapshotActions.push({ action, users: users.map((u) => u.action) });
      }
    }
    if (opts.dryRun) return { actions };

    // ---- 3. Carry it out.
    const plan: AwsSweepPlan = { sweptInstances, groupActions, keyActions, volumeActions, imageActions, snapshotActions };
    await carryOutAwsSweep(plan, { sdk, send, all, pageSize }, { waitMs, pollMs });
    return { actions };
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}
