/**
 * Carrying out an AWS sweep that aws-gc.ts listed and planned: terminate instances and
 * wait, then delete their security groups and key pairs, volumes, images and snapshots,
 * in that order (see aws-gc.ts). Each failure is recorded on its action; none is thrown.
 */
import { interruptSignal } from "../interrupt.js";
import { callError, duration, type SweepAction } from "./sweep-rule.js";

type Ec2 = typeof import("./ec2-sdk.js");
type Instance = import("@aws-sdk/client-ec2").Instance;
type Volume = import("@aws-sdk/client-ec2").Volume;
type Image = import("@aws-sdk/client-ec2").Image;

export interface InstancePlan {
  inst: Instance;
  id: string;
  buildId: string;
  reason: string;
  action?: SweepAction;
}

/** The plan, in the order it is carried out. */
export interface AwsSweepPlan {
  sweptInstances: InstancePlan[];
  groupActions: { action: SweepAction; owner: InstancePlan }[];
  keyActions: { action: SweepAction; owner: InstancePlan; keyPairId: string | undefined }[];
  volumeActions: { action: SweepAction; vol: Volume }[];
  imageActions: { action: SweepAction; image: Image }[];
  snapshotActions: { action: SweepAction; users: SweepAction[] }[];
}

/** The EC2 calls a sweep makes, each with its time limit, in --aws-region unless told. */
export interface Ec2Calls {
  sdk: Ec2;
  send: <T>(what: string, command: object, region?: string) => Promise<T>;
  /** Every page of a Describe call. */
  all: <T>(what: string, make: (token: string | undefined) => object, items: (page: Record<string, unknown>) => T[] | undefined) => Promise<T[]>;
  pageSize: number;
}

export function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

function errName(e: unknown): string | undefined {
  return (e as { name?: string } | undefined)?.name;
}

/** A pause between polls, cut short by an interrupt (Ctrl-C must not wait out a 5-minute poll). */
const sleep = (ms: number) =>
  new Promise<void>((r) => {
    if (interruptSignal.aborted) return r();
    const done = () => {
      clearTimeout(t);
      interruptSignal.removeEventListener("abort", done);
      r();
    };
    const t = setTimeout(done, ms);
    interruptSignal.addEventListener("abort", done, { once: true });
  });

export async function carryOutAwsSweep(plan: AwsSweepPlan, calls: Ec2Calls, timing: { waitMs: number; pollMs: number }): Promise<void> {
  const { sdk, send, all, pageSize } = calls;
  const { waitMs, pollMs } = timing;
  const { sweptInstances, groupActions, keyActions, volumeActions, imageActions, snapshotActions } = plan;

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
        (NextToken) =>
          new sdk.DescribeInstancesCommand({ Filters: [{ Name: "instance-id", Values: pending.map((p) => p.id) }], MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
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
      if (interruptSignal.aborted || Date.now() + pollMs > waitDeadline) {
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
      for (const ids of chunks(
        volumeActions.map((v) => v.action.id),
        100,
      )) {
        const vs = await all<Volume>(
          "DescribeVolumes",
          (NextToken) => new sdk.DescribeVolumesCommand({ Filters: [{ Name: "volume-id", Values: ids }], MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) }),
          (p) => p.Volumes as Volume[] | undefined,
        );
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
}
