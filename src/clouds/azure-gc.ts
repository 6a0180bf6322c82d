/**
 * `arv-image gc --cloud azure`: Packer's azure-arm builds in a temporary resource group
 * (pkr-Resource-Group-*) that carries the build's azure_tags, arv-image-build-id and
 * arv-image-expires among them. A group left behind by an interrupted or failed build is
 * deleted whole (ARM removes what is in it). Only groups with both the build-id tag and
 * Packer's name prefix are ever touched; the managed image lives in the operator's own
 * resource group and is never swept.
 */
import type { CloudContext } from "./context.js";
import { withTimeout } from "./timeout.js";
import { type AzureConnection, armCode, armMessage, connectAzure, describeAzureError, missingPrincipal } from "./azure.js";
import { duration, parseExpiry, type SweepAction } from "./sweep-rule.js";
import { BUILD_EXPIRY_HOURS, BUILD_ID_TAG, EXPIRES_TAG } from "./tags.js";
const PACKER_GROUP = /^pkr-Resource-Group-/i;

interface Group {
  name: string;
  location?: string;
  tags?: Record<string, string>;
}

export async function sweepAzure(ctx: CloudContext, opts: { olderThanMs: number; dryRun: boolean; now?: Date }): Promise<{ actions: SweepAction[] }> {
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
      throw new Error(`cannot list the resource groups of subscription ${conn.principal.subscriptionId}: ${describeAzureError(e, where, ctx.timeoutMs)} Nothing was changed.`);
    }
    const actions: SweepAction[] = [];
    for (const g of groups) {
      const buildId = g.tags?.[BUILD_ID_TAG];
      if (buildId === undefined || !PACKER_GROUP.test(g.name)) continue;
      const expires = parseExpiry(g.tags?.[EXPIRES_TAG]);
      if (expires === undefined) continue; // no (valid) expiry: not arv-image's to judge
      // The group was made when the build started: its expiry minus the build's allowance.
      const started = new Date(expires.getTime() - BUILD_EXPIRY_HOURS * 3600_000);
      const reason =
        expires.getTime() <= now.getTime()
          ? `expired ${expires.toISOString()}`
          : now.getTime() - started.getTime() >= opts.olderThanMs
            ? `started ${duration(now.getTime() - started.getTime())} ago`
            : undefined;
      if (reason === undefined) continue;
      const action: SweepAction = { kind: "resource-group", id: g.name, region: g.location ?? "", buildId, what: `delete resource group ${g.name} and everything in it (build ${buildId}, ${reason})`, done: false };
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
    return { actions };
  } finally {
    conn.close();
  }
}
