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
import type { CloudContext } from "./context.js";
import { CallTimeout, withTimeout } from "./timeout.js";
import { ec2Client, loadEc2 } from "./aws.js";

import { BUILD_ID_TAG, EXPIRES_TAG } from "./tags.js";
export { BUILD_ID_TAG, EXPIRES_TAG };
/** The name prefix of Packer's temporary key pairs and security groups. */
export const PACKER_PREFIX = "packer_";

export type SweepKind = "instance" | "volume" | "snapshot" | "image" | "security-group" | "key-pair" | "resource-group";

export interface SweepAction {
  kind: SweepKind;
  id: string;
  /** --aws-region, or for images and snapshots one of --aws-ami-regions (named in `what` then). */
  region: string;
  buildId: string;
  /** What is (or would be) done and why, for a person. */
  what: string;
  /** True when the change was made and confirmed (for instances: seen terminated). */
  done: boolean;
  error?: string;
}

export interface SweepResult {
  actions: SweepAction[];
}

export interface SweepOptions {
  /** Rule 2b: sweep tagged resources launched/created at least this long ago (Infinity: never by age). */
  olderThanMs: number;
  /** Only list; change nothing. */
  dryRun: boolean;
  /** The time the rule compares with (default: the current time). */
  now?: Date;
  /** Longest wait for instances to terminate, and for a resource to stop being in use (default 5 min). */
  waitMs?: number;
  /** Interval between polls while waiting (default 5 s). */
  pollMs?: number;
  /** MaxResults of each Describe page (default 200). */
  pageSize?: number;
}

type Ec2 = typeof import("./ec2-sdk.js");
type Tag = import("@aws-sdk/client-ec2").Tag;
type Instance = import("@aws-sdk/client-ec2").Instance;
type Volume = import("@aws-sdk/client-ec2").Volume;
type Image = import("@aws-sdk/client-ec2").Image;
type Snapshot = import("@aws-sdk/client-ec2").Snapshot;
type SecurityGroup = import("@aws-sdk/client-ec2").SecurityGroup;
type KeyPairInfo = import("@aws-sdk/client-ec2").KeyPairInfo;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Parses an `arv-image-expires` value; undefined unless it is an ISO 8601 UTC time. */
export function parseExpiry(value: string | undefined): Date | undefined {
  if (value === undefined || !ISO_UTC.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * The sweep rule (see the file's comment) for one resource: why it is swept, or undefined
 * when it is kept. `product` is true for images and snapshots.
 */
export function sweepReason(
  tags: readonly Tag[] | undefined,
  created: Date | string | undefined,
  opts: { now: Date; olderThanMs: number; product: boolean; createdWord?: string },
): string | undefined {
  const tag = (k: string) => tags?.find((t) => t.Key === k);
  if (!tag(BUILD_ID_TAG)) return undefined;
  const expiresTag = tag(EXPIRES_TAG);
  if (opts.product && !expiresTag) return undefined;
  const expires = parseExpiry(expiresTag?.Value);
  if (expires && expires.getTime() <= opts.now.getTime()) return `expired ${expiresTag?.Value}`;
  const at = created === undefined ? undefined : new Date(created);
  if (at && !Number.isNaN(at.getTime()) && opts.now.getTime() - at.getTime() >= opts.olderThanMs) {
    return `${opts.createdWord ?? "created"} ${at.toISOString()}, older than ${duration(opts.olderThanMs)}`;
  }
  return undefined;
}

/** 90000000 → "25h"; 5400000 → "90m"; 45000 → "45s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "forever";
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/** A failed call, short: `Code: message`, or the time limit. */
export function callError(e: unknown): string {
  if (e instanceof CallTimeout) return e.message;
  const name = (e as { name?: string } | undefined)?.name ?? "Error";
  const msg = (e as { message?: string } | undefined)?.message ?? String(e);
  const code = (e as { code?: string } | undefined)?.code;
  return `${code && code !== name ? `${code} ` : ""}${name}: ${msg}`;
}

function errName(e: unknown): string | undefined {
  return (e as { name?: string } | undefined)?.name;
}

const tagValue = (tags: readonly Tag[] | undefined, k: string) => tags?.find((t) => t.Key === k)?.Value ?? "";

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
    sweepReason(tags, created, { now, olderThanMs: opts.olderThanMs, product, ...(createdWord ? { createdWord } : {}) });

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
      throw new Error(`cannot list ${what} in ${r}${endpoint ? ` at ${endpoint}` : ""}: ${callError(e)}. Nothing was changed.`, { cause: e });
    }
  };

  try {
    // ---- 1. List everything, change nothing.
    const instances = await listing("instances", () =>
      all<Instance>("DescribeInstances", (NextToken) => new sdk.DescribeInstancesCommand({ Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }), (p) =>
        ((p.Reservations ?? []) as { Instances?: Instance[] }[]).flatMap((r) => r.Instances ?? []),
      ),
    );
    const volumes = await listing("volumes", () =>
      all<Volume>("DescribeVolumes", (NextToken) => new sdk.DescribeVolumesCommand({ Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }), (p) => p.Volumes as Volume[] | undefined),
    );
    const stored: { region: string; images: Image[]; snapshots: Snapshot[] }[] = [];
    for (const r of imageRegions) {
      const images = await listing(
        "images",
        () => all<Image>("DescribeImages", (NextToken) => new sdk.DescribeImagesCommand({ Owners: ["self"], Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }), (p) => p.Images as Image[] | undefined, r),
        r,
      );
      const snapshots = await listing(
        "snapshots",
        () => all<Snapshot>("DescribeSnapshots", (NextToken) => new sdk.DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: tagged, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }), (p) => p.Snapshots as Snapshot[] | undefined, r),
        r,
      );
      stored.push({ region: r, images, snapshots });
    }

    interface InstancePlan {
      inst: Instance;
      id: string;
      buildId: string;
      reason: string;
      action?: SweepAction;
    }
    const sweptInstances: InstancePlan[] = [];
    const keptRefs = { groups: new Set<string>(), keys: new Set<string>() };
    const groupsOf = (i: Instance) => new Set([...(i.SecurityGroups ?? []), ...(i.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])].map((g) => g.GroupId).filter((g): g is string => !!g));
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
          all<SecurityGroup>("DescribeSecurityGroups", (NextToken) => new sdk.DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-id", Values: ids }], MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }), (p) => p.SecurityGroups as SecurityGroup[] | undefined),
        )),
      );
    }
    const keyPairs: KeyPairInfo[] = [];
    for (const names of chunks([...keyOwner.keys()], 100)) {
      const r = await listing("key pairs", () => send<{ KeyPairs?: KeyPairInfo[] }>("DescribeKeyPairs", new sdk.DescribeKeyPairsCommand({ Filters: [{ Name: "key-name", Values: names }] })));
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
      const action = add({ kind: "security-group", id: g.GroupId, buildId: owner.buildId, what: `delete security group ${g.GroupId} "${g.GroupName}" (Packer's temporary group of instance ${owner.id}, build ${owner.buildId})` });
      groupActions.push({ action, owner });
    }
    const keyActions: { action: SweepAction; owner: InstancePlan; keyPairId: string | undefined }[] = [];
    for (const k of keyPairs) {
      const owner = k.KeyName ? keyOwner.get(k.KeyName) : undefined;
      if (!owner || !k.KeyName) continue;
      const action = add({ kind: "key-pair", id: k.KeyName, buildId: owner.buildId, what: `delete key pair ${k.KeyName} (Packer's temporary key of instance ${owner.id}, build ${owner.buildId})` });
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
        const action = add({ kind: "image", id: image.ImageId, buildId: b, what: `deregister image ${image.ImageId}${image.Name ? ` "${image.Name}"` : ""}${inRegion(r)} (${image.State ?? "?"}, build ${b}, ${reason})` }, r);
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
        const action = add({ kind: "snapshot", id: snap.SnapshotId, buildId: b, what: `delete snapshot ${snap.SnapshotId}${inRegion(r)} (${snap.VolumeSize ?? "?"} GiB${of}, build ${b}, ${reason})` }, r);
        snapshotActions.push({ action, users: users.map((u) => u.action) });
      }
    }
    if (opts.dryRun) return { actions };

    // ---- 3. Carry it out.
    const fail = (a: SweepAction, e: unknown) => {
      a.error = callError(e);
    };
    /** Retries `fn` while it fails with one of `codes` (a resource still in use), until the deadline. */
    const untilFree = async (codes: string[], deadline: number, fn: () => Promise<unknown>): Promise<void> => {
      for (;;) {
        try {
          await fn();
          return;
        } catch (e) {
          const name = errName(e);
          if (!name || !codes.includes(name) || Date.now() + pollMs > deadline) throw e;
          await sleep(pollMs);
        }
      }
    };

    const toTerminate = sweptInstances.filter((p): p is InstancePlan & { action: SweepAction } => p.action !== undefined);
    const terminated = new Set(sweptInstances.filter((p) => p.inst.State?.Name === "terminated").map((p) => p.id));
    const asked: (InstancePlan & { action: SweepAction })[] = [];
    for (const p of toTerminate) {
      try {
        await send("TerminateInstances", new sdk.TerminateInstancesCommand({ InstanceIds: [p.id] }));
        asked.push(p);
      } catch (e) {
        if (errName(e) === "InvalidInstanceID.NotFound") {
          p.action.done = true; // gone since it was listed
          terminated.add(p.id);
        } else fail(p.action, e);
      }
    }
    const waitDeadline = Date.now() + waitMs;
    let pending = asked;
    let lastState = new Map<string, string>();
    for (;;) {
      if (!pending.length) break;
      try {
        const seen = await all<Instance>(
          "DescribeInstances",
          (NextToken) => new sdk.DescribeInstancesCommand({ Filters: [{ Name: "instance-id", Values: pending.map((p) => p.id) }], MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
          (pg) => ((pg.Reservations ?? []) as { Instances?: Instance[] }[]).flatMap((r) => r.Instances ?? []),
        );
        lastState = new Map(seen.map((i) => [i.InstanceId ?? "", i.State?.Name ?? "unknown"]));
        for (const p of pending) {
          const st = lastState.get(p.id);
          if (st === "terminated" || st === undefined) {
            p.action.done = true;
            terminated.add(p.id);
          }
        }
        pending = pending.filter((p) => !p.action.done);
      } catch (e) {
        if (Date.now() + pollMs > waitDeadline) {
          for (const p of pending) fail(p.action, e);
          pending = [];
          break;
        }
      }
      if (!pending.length) break;
      if (Date.now() + pollMs > waitDeadline) {
        for (const p of pending) p.action.error = `asked to terminate, but still ${lastState.get(p.id) ?? "not terminated"} after ${duration(waitMs)}`;
        break;
      }
      await sleep(pollMs);
    }
    const freeDeadline = Date.now() + waitMs;

    for (const { action, owner } of groupActions) {
      if (!terminated.has(owner.id)) {
        action.error = `not deleted: its instance ${owner.id} is not terminated`;
        continue;
      }
      try {
        await untilFree(["DependencyViolation"], freeDeadline, () => send("DeleteSecurityGroup", new sdk.DeleteSecurityGroupCommand({ GroupId: action.id })));
        action.done = true;
      } catch (e) {
        if (errName(e) === "InvalidGroup.NotFound") action.done = true;
        else fail(action, e);
      }
    }
    for (const { action, owner, keyPairId } of keyActions) {
      if (!terminated.has(owner.id)) {
        action.error = `not deleted: its instance ${owner.id} is not terminated`;
        continue;
      }
      try {
        await send("DeleteKeyPair", new sdk.DeleteKeyPairCommand(keyPairId ? { KeyPairId: keyPairId } : { KeyName: action.id }));
        action.done = true;
      } catch (e) {
        if (errName(e) === "InvalidKeyPair.NotFound") action.done = true;
        else fail(action, e);
      }
    }

    // Volumes: those deleted with their instance (DeleteOnTermination) are reported as such.
    if (volumeActions.length) {
      const present = new Map<string, Volume>();
      try {
        for (const ids of chunks(volumeActions.map((v) => v.action.id), 100)) {
          const vs = await all<Volume>("DescribeVolumes", (NextToken) => new sdk.DescribeVolumesCommand({ Filters: [{ Name: "volume-id", Values: ids }], MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }), (p) => p.Volumes as Volume[] | undefined);
          for (const v of vs) if (v.VolumeId) present.set(v.VolumeId, v);
        }
      } catch {
        for (const v of volumeActions) present.set(v.action.id, v.vol); // unknown: try each one
      }
      for (const { action, vol } of volumeActions) {
        const cur = present.get(action.id);
        if (!cur || cur.State === "deleting" || cur.State === "deleted") {
          const att = (vol.Attachments ?? []).map((a) => a.InstanceId).filter(Boolean);
          action.what = `volume ${action.id} was deleted${att.length ? ` with instance ${att.join(", ")}` : ""} (build ${action.buildId})`;
          action.done = true;
          continue;
        }
        // Attached to an instance this sweep did not end: AWS would refuse; do not wait for it.
        const holders = (cur.Attachments ?? []).map((a) => a.InstanceId).filter((i): i is string => !!i && !terminated.has(i));
        if (holders.length) {
          action.error = `not deleted: attached to instance ${holders.join(", ")}, which is not terminated`;
          continue;
        }
        try {
          await untilFree(["VolumeInUse", "IncorrectState"], freeDeadline, () => send("DeleteVolume", new sdk.DeleteVolumeCommand({ VolumeId: action.id })));
          action.done = true;
        } catch (e) {
          if (errName(e) === "InvalidVolume.NotFound") action.done = true;
          else fail(action, e);
        }
      }
    }

    for (const { action } of imageActions) {
      try {
        await send("DeregisterImage", new sdk.DeregisterImageCommand({ ImageId: action.id }), action.region);
        action.done = true;
      } catch (e) {
        if (errName(e) === "InvalidAMIID.NotFound") action.done = true;
        else fail(action, e);
      }
    }
    for (const { action, users } of snapshotActions) {
      const blocking = users.filter((u) => !u.done);
      if (blocking.length) {
        action.error = `not deleted: image ${blocking.map((u) => u.id).join(", ")} that uses it was not deregistered`;
        continue;
      }
      try {
        await send("DeleteSnapshot", new sdk.DeleteSnapshotCommand({ SnapshotId: action.id }), action.region);
        action.done = true;
      } catch (e) {
        if (errName(e) === "InvalidSnapshot.NotFound") action.done = true;
        else fail(action, e);
      }
    }
    return { actions };
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}
