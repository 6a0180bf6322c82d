/**
 * `arv-image gc --cloud azure`: Packer's azure-arm builds in a temporary resource group
 * (pkr-Resource-Group-*) that carries the build's azure_tags, arv-image-build-id and
 * arv-image-expires among them. A group left behind by an interrupted or failed build is
 * deleted whole (ARM removes what is in it). Only groups with both the build-id tag and
 * Packer's name prefix are ever touched; the managed image lives in the operator's own
 * resource group and is never swept. Gallery image versions are tagged by the same azure_tags:
 * one still carrying arv-image-expires is a failed build's (a successful build removes the tag,
 * keepAzureImages) and is swept by the same rule.
 */
import type { CloudContext } from "./context.js";
import { withTimeout } from "./timeout.js";
import { type AzureConnection, armCode, armMessage, connectAzure, describeAzureError, missingPrincipal } from "./azure.js";
import { duration, parseExpiry, type SweepAction } from "./sweep-rule.js";
import { BUILD_EXPIRY_HOURS, BUILD_ID_TAG, EXPIRES_TAG } from "./tags.js";
const PACKER_GROUP = /^pkr-Resource-Group-/i;
const GALLERY_VERSION = "microsoft.compute/galleries/images/versions";

interface TaggedResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
}

/** Why a tagged leftover is due, or undefined when it is not (yet). */
function dueReason(tags: Record<string, string> | undefined, now: Date, olderThanMs: number, buildId: string | undefined): string | undefined {
  if (buildId !== undefined && tags?.[BUILD_ID_TAG] !== buildId) return undefined;
  const expires = parseExpiry(tags?.[EXPIRES_TAG]);
  if (expires === undefined) return undefined; // no (valid) expiry: not arv-image's to judge
  // Made when the build started: its expiry minus the build's allowance.
  const started = new Date(expires.getTime() - BUILD_EXPIRY_HOURS * 3600_000);
  return expires.getTime() <= now.getTime()
    ? `expired ${expires.toISOString()}`
    : now.getTime() - started.getTime() >= olderThanMs
      ? `started ${duration(now.getTime() - started.getTime())} ago`
      : undefined;
}

/**
 * After a successful build: the managed image and the gallery image version are the product, so
 * their arv-image-expires tag goes (Tags - Update At Scope, Replace with the other tags), as the AWS
 * path does for AMIs. Returns warnings for what could not be changed.
 */
export async function keepAzureImages(ctx: CloudContext, images: readonly { id: string; cloud?: string; gallery?: string; name?: string }[]): Promise<string[]> {
  const targets = images.filter((i) => i.id.startsWith("/subscriptions/") && i.name !== undefined);
  if (targets.length === 0) return [];
  const connected = await connectAzure(ctx);
  if ("missing" in connected) return [missingPrincipal(connected.missing)];
  const conn: AzureConnection = connected;
  const where = `Azure (${conn.armEndpoint})`;
  const warnings: string[] = [];
  try {
    for (const image of targets) {
      // The printed id may have the subscription scrubbed: address it with the principal's.
      const id = image.id.replace(/^\/subscriptions\/[^/]+\//, `/subscriptions/${encodeURIComponent(conn.principal.subscriptionId)}/`);
      const scope = `${id}/providers/Microsoft.Resources/tags/default?api-version=2021-04-01`;
      try {
        await withTimeout(where, ctx.timeoutMs, async (signal) => {
          const got = await conn.send("GET", scope, signal);
          if (got.status !== 200) throw Object.assign(new Error(armMessage(got.body)), { statusCode: got.status, code: armCode(got.body) });
          const tags = { ...((JSON.parse(got.body) as { properties?: { tags?: Record<string, string> } }).properties?.tags ?? {}) };
          if (!(EXPIRES_TAG in tags)) return;
          delete tags[EXPIRES_TAG];
          const r = await conn.send("PATCH", scope, signal, { operation: "Replace", properties: { tags } });
          if (r.status !== 200) throw Object.assign(new Error(armMessage(r.body)), { statusCode: r.status, code: armCode(r.body) });
        });
      } catch (e) {
        warnings.push(
          `could not remove the ${EXPIRES_TAG} tag from ${image.id} (${describeAzureError(e, where, ctx.timeoutMs)}); remove it by hand, or arv-image gc will treat ${image.gallery !== undefined ? "the gallery image version" : "the image"} as a leftover: az tag update --resource-id ${image.id} --operation Delete --tags ${EXPIRES_TAG}=<its value>`,
        );
      }
    }
  } finally {
    conn.close();
  }
  return warnings;
}

interface Group {
  name: string;
  location?: string;
  tags?: Record<string, string>;
}

export async function sweepAzure(ctx: CloudContext, opts: { olderThanMs: number; dryRun: boolean; now?: Date; buildId?: string | undefined }): Promise<{ actions: SweepAction[] }> {
  const now = opts.now ?? new Date();
  const connected = await connectAzure(ctx);
  if ("missing" in connected) throw new Error(missingPrincipal(connected.missing));
  const conn: AzureConnection = connected;
  const sub = encodeURIComponent(conn.principal.subscriptionId);
  const where = `Azure (${conn.armEndpoint})`;
  const call = (method: "GET" | "DELETE", path: string) => withTimeout(where, ctx.timeoutMs, (signal) => conn.send(method, path, signal));
  try {
    let groups: Group[];
    try {
      const filter = encodeURIComponent(`tagName eq '${BUILD_ID_TAG}'`);
      const r = await call("GET", `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01&$filter=${filter}`);
      if (r.status !== 200) throw Object.assign(new Error(armMessage(r.body)), { statusCode: r.status, code: armCode(r.body) });
      groups = (JSON.parse(r.body) as { value?: Group[] }).value ?? [];
    } catch (e) {
      throw new Error(`cannot list the resource groups of subscription ${conn.principal.subscriptionId}: ${describeAzureError(e, where, ctx.timeoutMs)} Nothing was changed.`, {
        cause: e,
      });
    }
    // Gallery image versions a failed build published (or half-published) keep arv-image-expires.
    // Both lists are read before anything is deleted: a failure here leaves everything as it was.
    let tagged: TaggedResource[];
    try {
      const filter = encodeURIComponent(`tagName eq '${BUILD_ID_TAG}'`);
      const r = await call("GET", `/subscriptions/${sub}/resources?api-version=2021-04-01&$filter=${filter}`);
      if (r.status !== 200) throw Object.assign(new Error(armMessage(r.body)), { statusCode: r.status, code: armCode(r.body) });
      tagged = (JSON.parse(r.body) as { value?: TaggedResource[] }).value ?? [];
    } catch (e) {
      throw new Error(`cannot list the tagged resources of subscription ${conn.principal.subscriptionId}: ${describeAzureError(e, where, ctx.timeoutMs)} Nothing was changed.`, {
        cause: e,
      });
    }
    const actions: SweepAction[] = [];
    for (const g of groups) {
      const buildId = g.tags?.[BUILD_ID_TAG];
      if (buildId === undefined || !PACKER_GROUP.test(g.name)) continue;
      const reason = dueReason(g.tags, now, opts.olderThanMs, opts.buildId);
      if (reason === undefined) continue;
      const action: SweepAction = {
        kind: "resource-group",
        id: g.name,
        region: g.location ?? "",
        buildId,
        what: `delete resource group ${g.name} and everything in it (build ${buildId}, ${reason})`,
        done: false,
      };
      actions.push(action);
      if (opts.dryRun) continue;
      try {
        const r = await call("DELETE", `/subscriptions/${sub}/resourcegroups/${encodeURIComponent(g.name)}?api-version=2021-04-01`);
        if (r.status === 200 || r.status === 202 || r.status === 404) action.done = true;
        else action.error = `${armCode(r.body) ?? `HTTP ${r.status}`}: ${armMessage(r.body)}`;
      } catch (e) {
        action.error = describeAzureError(e, where, ctx.timeoutMs);
      }
    }
    for (const v of tagged) {
      const buildId = v.tags?.[BUILD_ID_TAG];
      if (buildId === undefined || v.type.toLowerCase() !== GALLERY_VERSION) continue;
      const reason = dueReason(v.tags, now, opts.olderThanMs, opts.buildId);
      if (reason === undefined) continue;
      const action: SweepAction = {
        kind: "gallery-image-version",
        id: v.id,
        region: v.location ?? "",
        buildId,
        what: `delete gallery image version ${v.name} (build ${buildId}, ${reason})`,
        done: false,
      };
      actions.push(action);
      if (opts.dryRun) continue;
      try {
        const r = await call("DELETE", `${v.id.replace(/^\/subscriptions\/[^/]+\//, `/subscriptions/${sub}/`)}?api-version=2023-07-03`);
        if (r.status === 200 || r.status === 202 || r.status === 204 || r.status === 404) action.done = true;
        else action.error = `${armCode(r.body) ?? `HTTP ${r.status}`}: ${armMessage(r.body)}`;
      } catch (e) {
        action.error = describeAzureError(e, where, ctx.timeoutMs);
      }
    }
    return { actions };
  } finally {
    conn.close();
  }
}
