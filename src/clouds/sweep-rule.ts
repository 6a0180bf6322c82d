/**
 * What arv-image gc sweeps, for every cloud: the rule that decides (aws-gc.ts spells it
 * out), the actions a sweep reports, and the helpers both clouds' sweeps share.
 */
import { BUILD_ID_TAG, EXPIRES_TAG } from "./tags.js";
import { CallTimeout } from "./timeout.js";
import { InterruptedError } from "../interrupt.js";

type Tag = import("@aws-sdk/client-ec2").Tag;

export type SweepKind = "instance" | "volume" | "snapshot" | "image" | "security-group" | "key-pair" | "resource-group" | "gallery-image-version";

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
  /** --build-id: only this build's resources are considered at all. */
  buildId?: string | undefined;
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
  opts: { now: Date; olderThanMs: number; product: boolean; createdWord?: string; buildId?: string | undefined },
): string | undefined {
  const tag = (k: string) => tags?.find((t) => t.Key === k);
  if (!tag(BUILD_ID_TAG)) return undefined;
  if (opts.buildId !== undefined && tag(BUILD_ID_TAG)?.Value !== opts.buildId) return undefined;
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
  // Abandoned, not refused: said apart from the cloud's errors (and not as a second report of the interrupt).
  if (e instanceof InterruptedError) return `not done: the run was stopped by ${e.signal}`;
  const name = (e as { name?: string } | undefined)?.name ?? "Error";
  const msg = (e as { message?: string } | undefined)?.message ?? String(e);
  const code = (e as { code?: string } | undefined)?.code;
  return `${code && code !== name ? `${code} ` : ""}${name}: ${msg}`;
}
