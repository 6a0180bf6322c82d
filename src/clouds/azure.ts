/**
 * The Azure connection arv-image's calls share (preflight, gc), through @azure/identity (a service principal's client secret) and
 * @azure/arm-compute. The service principal comes from the Azure secrets file's exports
 * (ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID, as Packer's
 * azure-arm reads them) or the same names in the environment (AZURE_* also accepted).
 *
 * Endpoints follow --azure-cloud-environment; AZURE_AUTHORITY_HOST (the standard
 * @azure/identity variable) and ARV_IMAGE_AZURE_ARM_ENDPOINT override the login and
 * management hosts (sovereign or private clouds, and the loopback tests). Extra trust
 * anchors come from NODE_EXTRA_CA_CERTS, as for any Node program.
 */
import { Agent } from "node:https";
import { AZURE_CLOUDS as CLOUDS } from "../data/azure-clouds.js";
import type { CloudContext } from "./context.js";
import { CallTimeout } from "./timeout.js";

export interface Principal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
}

/** An authenticated connection to Azure Resource Manager, its endpoints, and how to close it. */
export interface AzureConnection {
  principal: Principal;
  loginHost: string;
  armEndpoint: string;
  scope: string;
  credential: import("@azure/identity").ClientSecretCredential;
  client: import("@azure/arm-compute").ComputeManagementClient;
  /** Sends a raw ARM request through the client's authenticated pipeline. */
  send(method: "GET" | "DELETE" | "PATCH", path: string, abortSignal: AbortSignal, body?: unknown): Promise<{ status: number; body: string }>;
  close(): void;
}

/** The service principal's connection, or which of its variables are missing. */
export async function connectAzure(ctx: CloudContext): Promise<AzureConnection | { missing: string[] }> {
  const o = ctx.config.options;
  const cloud = CLOUDS[o.azureCloudEnvironment];
  const loginHost = ctx.env.AZURE_AUTHORITY_HOST ?? cloud.login;
  const armEndpoint = (ctx.env.ARV_IMAGE_AZURE_ARM_ENDPOINT ?? cloud.arm).replace(/\/+$/, "");
  const overridden = ctx.env.AZURE_AUTHORITY_HOST !== undefined || ctx.env.ARV_IMAGE_AZURE_ARM_ENDPOINT !== undefined;
  const found = principal(ctx);
  if ("missing" in found) return found;
  const p: Principal = found;
  const [{ ClientSecretCredential }, { ComputeManagementClient }, { createDefaultHttpClient, createPipelineRequest }] = await Promise.all([
    import("@azure/identity"),
    import("@azure/arm-compute"),
    import("@azure/core-rest-pipeline"),
  ]);
  // Our own agent, destroyed at the end: a call that never answered (MSAL's token request
  // does not heed aborts) must not keep arv-image running after its report.
  const agent = new Agent({ keepAlive: false });
  const noRetry = { retryOptions: { maxRetries: 0 }, agent };
  const credential = new ClientSecretCredential(p.tenantId, p.clientId, p.clientSecret, {
    authorityHost: loginHost,
    // Instance discovery asks the public cloud's login host about the authority; an
    // overridden (private or loopback) authority is taken as given.
    disableInstanceDiscovery: overridden,
    ...noRetry,
  });
  const scope = `${cloud.arm}/.default`;
  const client = new ComputeManagementClient(credential, p.subscriptionId, { endpoint: armEndpoint, credentials: { scopes: [scope] }, ...noRetry });
  const http = createDefaultHttpClient();
  return {
    principal: p,
    loginHost,
    armEndpoint,
    scope,
    credential,
    client,
    async send(method, path, abortSignal, body) {
      const req = createPipelineRequest({ url: `${armEndpoint}${path}`, method, abortSignal, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      if (body !== undefined) req.headers.set("content-type", "application/json");
      const res = await client.pipeline.sendRequest(http, req);
      return { status: res.status, body: res.bodyAsText ?? "" };
    },
    close: () => agent.destroy(),
  };
}

export function missingPrincipal(missing: string[]): string {
  return `no Azure service principal: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set. Give --azure-secrets-file FILE exporting ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID (as build.sh's Azure secrets file does).`;
}

function principal(ctx: CloudContext): Principal | { missing: string[] } {
  const pick = (arm: string, azure: string) => ctx.secrets[arm] ?? ctx.secrets[azure] ?? ctx.env[arm] ?? ctx.env[azure];
  const p = {
    tenantId: pick("ARM_TENANT_ID", "AZURE_TENANT_ID"),
    clientId: pick("ARM_CLIENT_ID", "AZURE_CLIENT_ID"),
    clientSecret: pick("ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET"),
    subscriptionId: pick("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID"),
  };
  const missing = Object.entries({ ARM_TENANT_ID: p.tenantId, ARM_CLIENT_ID: p.clientId, ARM_CLIENT_SECRET: p.clientSecret, ARM_SUBSCRIPTION_ID: p.subscriptionId })
    .filter(([, v]) => v === undefined || v === "")
    .map(([k]) => k);
  return missing.length > 0 ? { missing } : (p as Principal);
}

export function tokenProblem(e: unknown, p: Principal, loginHost: string, ms: number): string {
  if (e instanceof CallTimeout)
    return `the Azure login host ${loginHost} did not answer within ${ms / 1000} s: check the network or proxy, or allow more time with --preflight-timeout.`;
  const msg = (e as { message?: string }).message ?? String(e);
  // Entra ID's own sentence ("AADSTS7000215: Invalid client secret provided.") without the timestamps and trace ids around it.
  const aadsts = /AADSTS\d+: [^.]*\./.exec(msg)?.[0];
  if (/AADSTS7000215|AADSTS7000222|invalid_client/.test(msg))
    return `Azure refused the client secret of service principal ${p.clientId} (wrong or expired; ${aadsts ?? firstLine(msg)}). Create a new secret (az ad sp credential reset --id ${p.clientId}) and update ARM_CLIENT_SECRET in the Azure secrets file.`;
  if (/AADSTS700016/.test(msg)) return `Azure does not know the application ${p.clientId} in tenant ${p.tenantId} (AADSTS700016): check ARM_CLIENT_ID and ARM_TENANT_ID.`;
  if (/AADSTS90002|AADSTS900023/.test(msg)) return `Azure does not know the tenant ${p.tenantId}: check ARM_TENANT_ID.`;
  if (/endpoints_resolution_error|ENOTFOUND|ECONNREFUSED|certificate|self.signed|UNABLE_TO_VERIFY/i.test(msg))
    return `cannot use the Azure login host ${loginHost} for tenant ${p.tenantId} (${firstLine(msg)}): check the network, ARM_TENANT_ID, and the TLS trust (NODE_EXTRA_CA_CERTS for a private CA).`;
  return `service principal ${p.clientId} could not get a token from ${loginHost}: ${firstLine(msg)}`;
}

export function describeAzureError(e: unknown, where: string, ms: number): string {
  if (e instanceof CallTimeout) return `${where} did not answer within ${ms / 1000} s: check the network or proxy, or allow more time with --preflight-timeout.`;
  const status = (e as { statusCode?: number }).statusCode;
  const code = (e as { code?: string }).code;
  const msg = firstLine((e as { message?: string }).message ?? String(e));
  if (status === 403 || code === "AuthorizationFailed")
    return `${where} refused the call (${code ?? "403"}): the service principal lacks a role it needs (Contributor on the subscription or resource group). ${msg}`;
  if (code === "SubscriptionNotFound") return `${where}: subscription not found (${msg}): check ARM_SUBSCRIPTION_ID.`;
  return `${where} answered ${code ?? "an error"}${status ? ` (HTTP ${status})` : ""}: ${msg}`;
}

export function armCode(body: string | undefined): string | undefined {
  try {
    return (JSON.parse(body ?? "") as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

export function armMessage(body: string | undefined): string {
  try {
    return (JSON.parse(body ?? "") as { error?: { message?: string } }).error?.message ?? String(body);
  } catch {
    return String(body);
  }
}

const firstLine = (s: string) => s.split(/\r?\n/)[0] ?? s;
