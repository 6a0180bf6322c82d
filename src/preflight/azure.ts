/**
 * Azure preflight: the service principal gets a token, the resource group exists, the
 * image and the VM size are offered in the location. The connection is the cloud layer's
 * (src/clouds/azure.ts).
 */
import type { CheckName } from "../config/preflight-checks.js";
import { type AzureConnection, armCode, armMessage, connectAzure, describeAzureError, missingPrincipal, tokenProblem } from "../clouds/azure.js";
import { withTimeout } from "../clouds/timeout.js";
import type { CheckContext, CheckOutput, Finding } from "./types.js";

export async function azureChecks(ctx: CheckContext): Promise<CheckOutput> {
  const findings: Finding[] = [];
  const add = (severity: Finding["severity"], check: CheckName, message: string) => findings.push({ severity, check, message });
  const on = (name: CheckName) => !ctx.skipped.has(name);
  const o = ctx.config.options;
  const ms = ctx.timeoutMs;

  const connected = await connectAzure(ctx);
  if ("missing" in connected) {
    add("error", "azure.credentials", missingPrincipal(connected.missing));
    return { findings, inferred: {} };
  }
  const conn: AzureConnection = connected;
  const { principal: p, loginHost, armEndpoint, scope, credential, client } = conn;
  const where = `Azure (${armEndpoint})`;

  try {
    return await checks();
  } finally {
    conn.close();
  }

  async function checks(): Promise<CheckOutput> {
    // Credentials first: without a token every other call fails the same way.
    if (on("azure.credentials")) {
      try {
        await withTimeout(`the Azure login host ${loginHost}`, ms, (abortSignal) => credential.getToken(scope, { abortSignal }));
        add("info", "azure.credentials", `service principal ${p.clientId} of tenant ${p.tenantId} got a token from ${loginHost}`);
      } catch (e) {
        add("error", "azure.credentials", tokenProblem(e, p, loginHost, ms));
        return { findings, inferred: {} };
      }
    }

    const guard = async (check: CheckName, fn: (signal: AbortSignal) => Promise<void>) => {
      if (!on(check)) return;
      try {
        await withTimeout(where, ms, fn);
      } catch (e) {
        add("error", check, describeAzureError(e, where, ms));
      }
    };
    const loc = o.azureLocation;
    await Promise.all([
      guard("azure.resource-group", async (abortSignal) => {
        const rg = o.azureResourceGroup;
        if (rg === undefined) return;
        const res = await conn.send("GET", `/subscriptions/${encodeURIComponent(p.subscriptionId)}/resourcegroups/${encodeURIComponent(rg)}?api-version=2021-04-01`, abortSignal);
        if (res.status === 200) {
          const body = JSON.parse(res.body || "{}") as { location?: string };
          add("info", "azure.resource-group", `resource group ${rg} exists (${body.location ?? "?"}) in subscription ${p.subscriptionId}`);
        } else if (res.status === 404) {
          add("error", "azure.resource-group", `--azure-resource-group ${rg}: no such resource group in subscription ${p.subscriptionId}; the managed image is written there. Create it (az group create --name ${rg} --location ${loc}) or fix the name.`);
        } else {
          throw Object.assign(new Error(armMessage(res.body)), { statusCode: res.status, code: armCode(res.body) });
        }
      }),
      guard("azure.image", async (abortSignal) => {
        const { azureImagePublisher: pub, azureImageOffer: offer, azureSku: sku } = o;
        if (sku === undefined) return;
        const urn = `${pub}:${offer}:${sku}`;
        let versions: { name?: string }[] = [];
        try {
          versions = await client.virtualMachineImages.list(loc, pub, offer, sku, { abortSignal });
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode !== 404) throw e;
        }
        if (versions.length === 0) {
          add("error", "azure.image", `image ${urn} does not exist in ${loc}: check --azure-image-publisher, --azure-image-offer and --azure-sku (list them with: az vm image list-skus --location ${loc} --publisher ${pub} --offer ${offer}).`);
        } else {
          add("info", "azure.image", `image ${urn} exists in ${loc} (${versions.length} version${versions.length === 1 ? "" : "s"}, newest ${versions.map((v) => v.name ?? "").sort(compareVersionNames).at(-1)})`);
        }
      }),
      guard("azure.vm-size", async (abortSignal) => {
        const size = o.azureVmSize;
        const sizes: string[] = [];
        for await (const s of client.virtualMachineSizes.list(loc, { abortSignal })) if (s.name) sizes.push(s.name);
        if (sizes.some((s) => s.toLowerCase() === size.toLowerCase())) add("info", "azure.vm-size", `${size} is offered in ${loc}`);
        else add("error", "azure.vm-size", `--azure-vm-size ${size} is not offered in ${loc}: choose another size (az vm list-sizes --location ${loc}) or another --azure-location.`);
      }),
    ]);
    return { findings, inferred: {} };
  }
}

/** Orders image versions like 0.20240703.1797 numerically, part by part. */
function compareVersionNames(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a.localeCompare(b);
}
