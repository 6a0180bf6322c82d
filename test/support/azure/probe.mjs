// @ts-check
/**
 * Runs the preflight-style Azure checks with the REAL SDKs (@azure/identity ClientSecretCredential,
 * @azure/arm-compute ComputeManagementClient) and prints one JSON object with the outcome of each.
 * For child-process tests: a different Node binary (Node 24), NODE_EXTRA_CA_CERTS set at process
 * start, or a network namespace where management.azure.com / login.microsoftonline.com point at
 * the test server.
 *
 *   node test/support/azure/probe.mjs '{"tenantId":"…","clientId":"…","clientSecret":"…",
 *     "subscriptionId":"…","endpoint":"https://127.0.0.1:PORT","authorityHost":"https://127.0.0.1:PORT",
 *     "caFile":"ca.crt","resourceGroup":"rg","location":"eastus",
 *     "image":{"publisher":"Debian","offer":"debian-12","sku":"12-gen2"},"vmSize":"Standard_D2s_v3"}'
 *
 * endpoint / authorityHost omitted: the public-cloud defaults (for the /etc/hosts redirect).
 * caFile omitted: the process's default trust (NODE_EXTRA_CA_CERTS, read at process start).
 * The secret may also come from env AZURE_CLIENT_SECRET so it stays out of argv.
 */
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { ComputeManagementClient } from "@azure/arm-compute";
import { createDefaultHttpClient, createPipelineRequest } from "@azure/core-rest-pipeline";

/**
 * @typedef {{
 *   tenantId: string, clientId: string, clientSecret?: string, subscriptionId: string,
 *   endpoint?: string, authorityHost?: string, caFile?: string, timeoutMs?: number,
 *   resourceGroup?: string, location?: string,
 *   image?: { publisher: string, offer: string, sku: string }, vmSize?: string,
 * }} ProbeInput
 */

/** @param {unknown} e */
function describe(e) {
  const x = /** @type {{ name?: string, code?: string, statusCode?: number, message?: string }} */ (e);
  return { name: x?.name, code: x?.code, statusCode: x?.statusCode, message: String(x?.message ?? e).slice(0, 400) };
}

/** @param {ProbeInput} input */
export async function probe(input) {
  const timeoutMs = input.timeoutMs ?? 10_000;
  // Add the test CA to the public roots (tlsOptions.ca replaces the default list otherwise).
  const tlsOptions = input.caFile ? { ca: [...rootCertificates, readFileSync(input.caFile, "utf8")] } : undefined;
  const credential = new ClientSecretCredential(input.tenantId, input.clientId, input.clientSecret ?? process.env.AZURE_CLIENT_SECRET ?? "", {
    ...(input.authorityHost ? { authorityHost: input.authorityHost, disableInstanceDiscovery: true } : {}),
    ...(tlsOptions ? { tlsOptions } : {}),
  });
  const client = new ComputeManagementClient(credential, input.subscriptionId, {
    ...(input.endpoint ? { endpoint: input.endpoint } : {}),
    ...(tlsOptions ? { tlsOptions } : {}),
    retryOptions: { maxRetries: 0 },
  });
  const signal = () => AbortSignal.timeout(timeoutMs);
  /** @type {Record<string, unknown>} */
  const out = {};

  try {
    // getToken ignores abortSignal for client secrets: bound it ourselves.
    const t = await Promise.race([
      credential.getToken("https://management.azure.com/.default"),
      new Promise((_, fail) => setTimeout(() => fail(new Error(`token request timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    out.token = { ok: true, jwtShaped: /** @type {{ token: string }} */ (t).token.split(".").length === 3 };
  } catch (e) {
    out.token = { ok: false, error: describe(e) };
    return out;
  }

  if (input.resourceGroup) {
    const base = (input.endpoint ?? "https://management.azure.com").replace(/\/+$/, "");
    const request = createPipelineRequest({
      url: `${base}/subscriptions/${encodeURIComponent(input.subscriptionId)}/resourcegroups/${encodeURIComponent(input.resourceGroup)}?api-version=2021-04-01`,
      method: "GET",
      abortSignal: signal(),
    });
    try {
      const r = await client.pipeline.sendRequest(createDefaultHttpClient(), request);
      const body = r.bodyAsText ? JSON.parse(r.bodyAsText) : undefined;
      out.resourceGroup = { status: r.status, ...(r.status === 200 ? { location: body?.location } : { code: body?.error?.code }) };
    } catch (e) {
      out.resourceGroup = { error: describe(e) };
    }
  }
  if (input.image && input.location) {
    const { publisher, offer, sku } = input.image;
    try {
      const versions = await client.virtualMachineImages.list(input.location, publisher, offer, sku, { abortSignal: signal() });
      out.image = { versions: versions.map((v) => v.name) };
    } catch (e) {
      out.image = { error: describe(e) };
    }
  }
  if (input.vmSize && input.location) {
    try {
      /** @type {string[]} */
      const names = [];
      for await (const s of client.virtualMachineSizes.list(input.location, { abortSignal: signal() })) if (s.name) names.push(s.name);
      /** @type {unknown[]} */
      const restrictions = [];
      let inSkus = false;
      for await (const s of client.resourceSkus.list({ filter: `location eq '${input.location}'`, abortSignal: signal() })) {
        if (s.resourceType === "virtualMachines" && s.name?.toLowerCase() === input.vmSize.toLowerCase()) {
          inSkus = true;
          restrictions.push(...(s.restrictions ?? []).map((r) => r.reasonCode));
        }
      }
      out.vmSize = { offered: names.some((n) => n.toLowerCase() === input.vmSize?.toLowerCase()), inSkus, restrictions };
    } catch (e) {
      out.vmSize = { error: describe(e) };
    }
  }
  return out;
}

const isMain = process.argv[1] && import.meta.url === (await import("node:url")).pathToFileURL(process.argv[1]).href;
if (isMain) {
  try {
    const out = await probe(JSON.parse(process.argv[2] ?? "{}"));
    process.stdout.write(JSON.stringify(out) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ fatal: describe(e) }) + "\n");
    process.exitCode = 1;
  }
}
