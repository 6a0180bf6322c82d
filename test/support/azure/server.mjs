// @ts-check
/**
 * A loopback HTTPS stand-in for the two Azure services arv-image's preflight talks to:
 * Microsoft Entra ID (login: OpenID configuration, token endpoints) and Azure Resource Manager
 * (resource groups, VM image versions, VM sizes, resource SKUs). One server answers both; see
 * SPEC.md next to this file for what is modelled and how to point @azure/identity and
 * @azure/arm-compute at it.
 *
 * Library:    const srv = await startAzureServer({ state, tls: { cert, key }, log, faults });
 *             srv.url, srv.port, srv.requests, srv.state (live), srv.faults (live), await srv.close()
 * Standalone: node server.mjs --port 0 --state state.json --cert server.crt --key server.key
 *                 [--host 127.0.0.1] [--log requests.jsonl] [--faults faults.json]
 *             prints {"port":N,"url":"https://127.0.0.1:N"} on stdout; SIGTERM/SIGINT stop it.
 *
 * The request log (memory and JSONL) never holds client secrets, tokens or Authorization headers.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { evaluateTemplate, TemplateError } from "./arm-template.mjs";

/**
 * @typedef {{ clientId: string, clientSecret: string, objectId?: string, secretExpired?: boolean }} AzureClient
 * @typedef {{ name: string, location: string, tags?: Record<string, string>, resources?: AzureResource[] }} AzureResourceGroup
 *   resources: what PUTs and deployments created in the group (deleted with it).
 * @typedef {{
 *   id: string, name: string, type: string, location?: string, tags?: Record<string, string>,
 *   properties: Record<string, any>, powerState?: "running" | "stopped" | "deallocated", generalized?: boolean,
 * }} AzureResource
 *   id: the canonical resource id; name: the last segment; type: "Microsoft.Compute/images",
 *   "Microsoft.Compute/galleries/images/versions", …; powerState/generalized: virtual machines only
 *   (not ARM fields: GET does not return them).
 * @typedef {{
 *   tenantId?: string,
 *   displayName?: string,
 *   authorizedClients?: string[],
 *   resourceGroups?: AzureResourceGroup[],
 * }} AzureSubscription
 *   tenantId: tokens from other tenants get 401 InvalidAuthenticationTokenTenant (unset: any tenant);
 *   authorizedClients: client ids with read access (unset: every client) – others get 403 AuthorizationFailed.
 * @typedef {{
 *   location: string, publisher: string, offer: string, sku: string, versions: string[],
 *   hyperVGeneration?: "V1" | "V2", architecture?: "x64" | "Arm64",
 * }} AzureImage   a marketplace image SKU; `versions: []` = the SKU exists but has no versions
 * @typedef {{
 *   name: string, numberOfCores: number, memoryInMB: number,
 *   osDiskSizeInMB?: number, resourceDiskSizeInMB?: number, maxDataDiskCount?: number,
 *   family?: string, zones?: string[], restricted?: string,
 * }} AzureVmSize   restricted: a resource-SKU restriction reasonCode, e.g. "NotAvailableForSubscription"
 * @typedef {{
 *   tenants: Record<string, { clients: AzureClient[] }>,
 *   subscriptions: Record<string, AzureSubscription>,
 *   images?: AzureImage[],
 *   vmSizes?: Record<string, AzureVmSize[]>,
 *   locations?: string[],
 *   tokenLifetimeSeconds?: number,
 *   tokenAudiences?: string[],
 *   resourceSkusPageSize?: number,
 *   publicIpAddress?: string,
 *   operationPolls?: number,
 * }} AzureState
 *   locations: the regions that exist (default: every location named elsewhere in the state);
 *   tokenAudiences: resources the login endpoint issues tokens for and ARM accepts
 *     (default: https://management.azure.com and https://management.core.windows.net, with or without "/");
 *   resourceSkusPageSize: page resourceSkus.list with nextLink (default: one page);
 *   publicIpAddress: the address every public IP resource gets (default 127.0.0.1);
 *   operationPolls: how many polls a long-running operation answers InProgress before it ends (default 1).
 * @typedef {{
 *   status?: number, code?: string, message?: string, headers?: Record<string, string>,
 *   delayMs?: number, hang?: boolean, reset?: boolean, times?: number, async?: boolean,
 * }} AzureFault
 *   Applied before anything else on the named route. delayMs then continues normally unless
 *   status/hang/reset is also given; times: apply to this many requests, then stop (default: all);
 *   async (write routes with a long-running operation): the request is accepted as usual, nothing is
 *   created or changed, and the operation ends Failed with {code, message} (status: the HTTP status
 *   its Location URL answers, default 400).
 * @typedef {{
 *   subscriptionId: string, resourceGroup: string, name: string, adminUsername?: string,
 *   sshPublicKeys: string[], resources: AzureResource[],
 * }} AzureDeploymentEvent   what a deployment PUT created (before the server answers it)
 * @typedef {{
 *   time: string, method: string, path: string, query: Record<string, string>, route: string,
 *   status: number | null, ms: number, auth?: string, tenant?: string, clientId?: string,
 *   grantType?: string, scope?: string, fault?: string, error?: string, operation?: string,
 * }} AzureRequestLogEntry   status null: the client went away before an answer (hang, abort).
 * @typedef {{
 *   url: string, port: number, state: AzureState, faults: Record<string, AzureFault>,
 *   requests: AzureRequestLogEntry[], pending: () => number,
 *   mintToken: (o: { tenantId: string, clientId: string, audience?: string, lifetimeSeconds?: number }) => string,
 *   close: () => Promise<void>,
 * }} AzureServer
 */

/** Route names, usable as fault keys. */
export const ROUTES = Object.freeze([
  "openid-configuration", // GET /{tenant}/v2.0/.well-known/openid-configuration (and v1 form)
  "instance-discovery", //   GET /common/discovery/instance
  "jwks", //                 GET /{tenant}/discovery[/v2.0]/keys
  "token", //                POST /{tenant}/oauth2/v2.0/token (MSAL) and POST /{tenant}/oauth2/token (v1, go-autorest)
  "subscriptions.get", //    GET /subscriptions/{s}
  "resourceGroups.get", //   GET /subscriptions/{s}/resourcegroups/{rg}
  "resourceGroups.list", //  GET /subscriptions/{s}/resourcegroups[?$filter=tagName eq 'K']
  "resourceGroups.delete", // DELETE /subscriptions/{s}/resourcegroups/{rg} (202, gone at once)
  "resourceGroups.checkExistence", // HEAD /subscriptions/{s}/resourcegroups/{rg}
  "resources.list", //       GET /subscriptions/{s}/resources[?$filter=tagName eq 'K'] (every group's resources, nested ones too)
  "tags.getAtScope", //      GET {resource id}/providers/Microsoft.Resources/tags/default
  "tags.updateAtScope", //   PATCH {resource id}/providers/Microsoft.Resources/tags/default (Merge, Replace or Delete)
  "virtualMachineImages.listSkus", // GET …/locations/{l}/publishers/{p}/artifacttypes/vmimage/offers/{o}/skus
  "virtualMachineImages.list", //    GET …/skus/{sku}/versions
  "virtualMachineImages.get", //     GET …/skus/{sku}/versions/{version}
  "virtualMachineSizes.list", //     GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/vmSizes
  "resourceSkus.list", //            GET /subscriptions/{s}/providers/Microsoft.Compute/skus
  // Writes (what Packer's azure-arm builder does); {rg} = /subscriptions/{s}/resourceGroups/{rg}/providers
  "resourceGroups.createOrUpdate", // PUT /subscriptions/{s}/resourcegroups/{rg}
  "deployments.validate", //         POST {rg}/Microsoft.Resources/deployments/{d}/validate
  "deployments.createOrUpdate", //   PUT {rg}/Microsoft.Resources/deployments/{d} (evaluates the template, creates its resources)
  "deployments.get",
  "deployments.delete",
  "deploymentOperations.list", //    GET {rg}/Microsoft.Resources/deployments/{d}/operations
  "virtualMachines.get",
  "virtualMachines.delete",
  "virtualMachines.instanceView",
  "virtualMachines.deallocate",
  "virtualMachines.powerOff",
  "virtualMachines.start",
  "virtualMachines.generalize",
  "disks.get",
  "disks.delete",
  "images.createOrUpdate",
  "images.get",
  "images.delete", // {rg}/Microsoft.Compute/images/{name}
  "galleries.createOrUpdate",
  "galleries.get",
  "galleries.delete",
  "galleryImages.createOrUpdate",
  "galleryImages.get",
  "galleryImages.delete", // …/galleries/{g}/images/{i}
  "galleryImageVersions.createOrUpdate",
  "galleryImageVersions.get",
  "galleryImageVersions.delete", // …/images/{i}/versions/{v}
  "publicIPAddresses.get",
  "publicIPAddresses.delete",
  "networkInterfaces.get",
  "networkInterfaces.delete",
  "virtualNetworks.get",
  "virtualNetworks.delete",
  "networkSecurityGroups.get",
  "networkSecurityGroups.delete",
  "operations.get", //       GET …/providers/{ns}/locations/{l}/operations/{id} (Azure-AsyncOperation)
  "operationResults.get", // GET …/locations/{l}/operationResults/{id}, /subscriptions/{s}/operationresults/{id} (Location)
]);

/**
 * The id ARM gives a resource: armResourceId(sub, rg, "Microsoft.Compute/galleries/images", "g", "def")
 * → /subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/def
 * (for seeding state.subscriptions[s].resourceGroups[i].resources).
 * @param {string} subscriptionId @param {string} resourceGroup @param {string} type @param {...string} names
 */
export function armResourceId(subscriptionId, resourceGroup, type, ...names) {
  const [ns, ...types] = type.split("/");
  if (types.length !== names.length) throw new Error(`armResourceId: ${type} needs ${types.length} name(s)`);
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${ns}/${types.map((t, i) => `${t}/${names[i]}`).join("/")}`;
}

/** Resource kinds the write routes know: full type (lower case) → route prefix and canonical type. */
const KINDS = /** @type {Record<string, { kind: string, type: string, lro: boolean }>} */ ({
  "microsoft.resources/deployments": { kind: "deployments", type: "Microsoft.Resources/deployments", lro: true },
  "microsoft.compute/virtualmachines": { kind: "virtualMachines", type: "Microsoft.Compute/virtualMachines", lro: true },
  "microsoft.compute/disks": { kind: "disks", type: "Microsoft.Compute/disks", lro: true },
  "microsoft.compute/images": { kind: "images", type: "Microsoft.Compute/images", lro: true },
  "microsoft.compute/galleries": { kind: "galleries", type: "Microsoft.Compute/galleries", lro: true },
  "microsoft.compute/galleries/images": { kind: "galleryImages", type: "Microsoft.Compute/galleries/images", lro: true },
  "microsoft.compute/galleries/images/versions": { kind: "galleryImageVersions", type: "Microsoft.Compute/galleries/images/versions", lro: true },
  "microsoft.network/publicipaddresses": { kind: "publicIPAddresses", type: "Microsoft.Network/publicIPAddresses", lro: true },
  "microsoft.network/networkinterfaces": { kind: "networkInterfaces", type: "Microsoft.Network/networkInterfaces", lro: true },
  "microsoft.network/virtualnetworks": { kind: "virtualNetworks", type: "Microsoft.Network/virtualNetworks", lro: true },
  "microsoft.network/networksecuritygroups": { kind: "networkSecurityGroups", type: "Microsoft.Network/networkSecurityGroups", lro: true },
});
/** Sub-resource paths: (kind, last segment, method) → route. */
const ACTION_ROUTES = /** @type {Record<string, string>} */ ({
  "deployments/validate/POST": "deployments.validate",
  "deployments/operations/GET": "deploymentOperations.list",
  "virtualMachines/deallocate/POST": "virtualMachines.deallocate",
  "virtualMachines/poweroff/POST": "virtualMachines.powerOff",
  "virtualMachines/start/POST": "virtualMachines.start",
  "virtualMachines/generalize/POST": "virtualMachines.generalize",
  "virtualMachines/instanceview/GET": "virtualMachines.instanceView",
});
const VERBS = /** @type {Record<string, string>} */ ({ PUT: "createOrUpdate", GET: "get", DELETE: "delete" });

/** @param {string} method @param {string[]} s lower-cased segments from "subscriptions" on */
function resourceRoute(method, s) {
  const [ns, ...rest] = s.slice(5);
  /** @type {string[]} */
  const types = [];
  for (let i = 0; i + 1 < rest.length; i += 2) types.push(rest[i]);
  const extra = rest.length % 2 === 1 ? rest[rest.length - 1] : undefined;
  const k = KINDS[[ns, ...types].join("/")];
  if (!k || types.length === 0) return "";
  if (extra !== undefined) return ACTION_ROUTES[`${k.kind}/${extra}/${method}`] ?? "";
  const verb = VERBS[method];
  return verb ? `${k.kind}.${verb}` : `${k.kind}.${method.toLowerCase()}`;
}

/** The HTTP method each route answers (others get 405). */
function methodOf(/** @type {string} */ route) {
  if (route === "resourceGroups.checkExistence") return "HEAD";
  if (route === "tags.updateAtScope") return "PATCH";
  if (route === "tags.getAtScope") return "GET";
  if (/\.(delete)$/.test(route)) return "DELETE";
  if (/\.createOrUpdate$/.test(route)) return "PUT";
  if (/^(deployments\.validate|virtualMachines\.(deallocate|powerOff|start|generalize))$/.test(route)) return "POST";
  return "GET";
}

/** Resources every tenant issues tokens for that ARM does not accept (Packer's azure-arm asks for Key Vault's too). */
const OTHER_RESOURCES = new Set(["https://vault.azure.net"]);
const DEFAULT_AUDIENCES = ["https://management.azure.com", "https://management.core.windows.net"];
const SECRET_PARAMS = /^(client_secret|client_assertion|access_token|refresh_token|id_token|password|assertion|code|sig|signature)$/i;
const MAX_BODY = 1 << 20;

/** ARM is case-insensitive for names; regions also accept display names ("East US"). */
const norm = (/** @type {string} */ s) => s.toLowerCase();
const normLoc = (/** @type {string} */ s) => s.toLowerCase().replace(/\s+/g, "");

/** @param {string} a @param {string} b */
function compareVersions(a, b) {
  const pa = a.split("."),
    pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "",
      y = pb[i] ?? "";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN,
      ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

const b64url = (/** @type {unknown} */ o) => Buffer.from(JSON.stringify(o)).toString("base64url");

/** AAD error timestamp format: "2024-05-01 12:34:56Z". */
const aadTime = () =>
  new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");

/**
 * @param {{ state: AzureState, tls: { cert: string | Buffer, key: string | Buffer }, host?: string,
 *           port?: number, path?: string, log?: string, faults?: Record<string, AzureFault>,
 *           onDeployment?: (d: AzureDeploymentEvent) => void | Promise<void> }} options
 *   tls.cert/key: PEM text or a path to a PEM file; log: JSONL file to append to;
 *   path: listen on this Unix socket instead of host:port (a relay brings a network namespace's
 *   traffic to it); onDeployment: awaited after a deployment created its resources and before the
 *   PUT is answered (a test puts the VM's SSH key where its SSH target reads it).
 * @returns {Promise<AzureServer>}
 */
export async function startAzureServer(options) {
  const state = options.state;
  /** @type {Record<string, AzureFault>} */
  const faults = options.faults ?? {};
  /** @type {AzureRequestLogEntry[]} */
  const requests = [];
  const signingKey = randomBytes(32);
  const host = options.host ?? "127.0.0.1";
  const pem = (/** @type {string | Buffer} */ v) => (Buffer.isBuffer(v) || v.includes("-----BEGIN") ? v : readFileSync(v));

  /** @type {WeakMap<import("node:http").IncomingMessage, AzureFault>} */
  const asyncFaults = new WeakMap();
  /** @type {Map<string, { id: string, status: string, pollsLeft: number, started: string, error?: { code: string, message: string }, httpStatus: number }>} */
  const operations = new Map();
  let inFlight = 0; // requests received and not yet answered or abandoned
  /** @type {Array<() => void>} */
  const idleWaiters = [];
  /** @type {Set<import("node:stream").Duplex>} */
  const sockets = new Set();
  const server = createServer({ cert: pem(options.tls.cert), key: pem(options.tls.key) }, (req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "MockInternalError", message: String(e?.message ?? e) } }));
      } else res.destroy();
    });
  });
  /** @param {import("node:stream").Duplex} s */
  const track = (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  server.on("connection", track);
  server.on("secureConnection", track);
  server.on("tlsClientError", () => {}); // a client that distrusts our CA: not the server's problem

  // ---------------------------------------------------------------- tokens

  /** @param {{ tenantId: string, clientId: string, objectId?: string, audience?: string, lifetimeSeconds?: number }} o */
  function mintToken(o) {
    const now = Math.floor(Date.now() / 1000);
    const life = o.lifetimeSeconds ?? state.tokenLifetimeSeconds ?? 3599;
    const header = { typ: "JWT", alg: "HS256", kid: "arv-image-test" };
    const iss = `https://sts.windows.net/${o.tenantId}/`;
    const oid = o.objectId ?? `00000000-0000-4000-8000-${createHmac("sha256", "oid").update(o.clientId).digest("hex").slice(0, 12)}`;
    const payload = {
      aud: o.audience ?? "https://management.azure.com",
      iss,
      idp: iss,
      iat: now,
      nbf: now,
      exp: now + life,
      appid: o.clientId,
      appidacr: "1",
      oid,
      sub: oid,
      tid: o.tenantId,
      uti: randomBytes(12).toString("base64url"),
      ver: "1.0",
    };
    const signed = `${b64url(header)}.${b64url(payload)}`;
    return `${signed}.${createHmac("sha256", signingKey).update(signed).digest("base64url")}`;
  }

  /** @param {string} token @returns {{ claims?: Record<string, any>, why?: string }} */
  function verifyToken(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return { why: "malformed" };
    const want = createHmac("sha256", signingKey).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], "base64url");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { why: "signature" };
    try {
      return { claims: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) };
    } catch {
      return { why: "malformed" };
    }
  }

  const audiences = () => {
    const list = state.tokenAudiences ?? DEFAULT_AUDIENCES;
    return new Set(list.flatMap((a) => [a.replace(/\/+$/, ""), a.replace(/\/+$/, "") + "/"]));
  };

  // ---------------------------------------------------------------- helpers

  /** @param {import("node:http").ServerResponse} res @param {number} status @param {unknown} body @param {Record<string,string>} [headers] */
  function sendJson(res, status, body, headers = {}) {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-cache",
      "x-ms-request-id": randomUUID(),
      ...headers,
    });
    res.end(res.req.method === "HEAD" ? undefined : text);
  }

  /**
   * ARM error envelope.
   * @param {import("node:http").ServerResponse} res @param {number} status @param {string} code @param {string} message
   * @param {Record<string,string>} [headers] @param {string} [target]
   */
  function armError(res, status, code, message, headers = {}, target) {
    sendJson(res, status, { error: { code, message, ...(target ? { target } : {}) } }, headers);
  }

  /** Entra ID (AAD) OAuth error body. */
  function aadError(
    /** @type {import("node:http").ServerResponse} */ res,
    /** @type {number} */ status,
    /** @type {string} */ error,
    /** @type {number} */ aadsts,
    /** @type {string} */ text,
  ) {
    const traceId = randomUUID(),
      correlationId = randomUUID(),
      ts = aadTime();
    sendJson(res, status, {
      error,
      error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
      error_codes: [aadsts],
      timestamp: ts,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    });
  }

  const knownLocations = () => {
    const s = new Set((state.locations ?? []).map(normLoc));
    if (!state.locations) {
      for (const l of Object.keys(state.vmSizes ?? {})) s.add(normLoc(l));
      for (const i of state.images ?? []) s.add(normLoc(i.location));
      for (const sub of Object.values(state.subscriptions ?? {})) for (const rg of sub.resourceGroups ?? []) s.add(normLoc(rg.location));
    }
    return s;
  };

  /** @param {import("node:http").IncomingMessage} req @returns {Promise<string>} */
  function readBody(req) {
    return new Promise((ok, fail) => {
      /** @type {Buffer[]} */ const chunks = [];
      let n = 0;
      req.on("data", (c) => {
        n += c.length;
        if (n > MAX_BODY) {
          fail(new Error("body too large"));
          req.destroy();
        } else chunks.push(c);
      });
      req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
      req.on("error", fail);
    });
  }

  /** @param {string} p */
  function findSub(p) {
    const subs = state.subscriptions ?? {};
    const key = Object.keys(subs).find((k) => norm(k) === norm(p));
    return key === undefined ? undefined : { id: key, sub: subs[key] };
  }

  // ---------------------------------------------------------------- routing

  /**
   * @param {string} method @param {string[]} seg decoded path segments
   * @returns {string} route name, or "" for no route
   */
  function routeOf(method, seg) {
    const s = seg.map(norm);
    if (s[0] === "subscriptions") {
      if (s.length === 2) return "subscriptions.get";
      if (s.length === 3 && s[2] === "resourcegroups") return "resourceGroups.list";
      if (s.length === 3 && s[2] === "resources") return "resources.list";
      if (s.length >= 12 && s.slice(-4).join("/") === "providers/microsoft.resources/tags/default") return method === "GET" ? "tags.getAtScope" : "tags.updateAtScope";
      if (s.length === 4 && s[2] === "resourcegroups")
        return method === "HEAD"
          ? "resourceGroups.checkExistence"
          : method === "DELETE"
            ? "resourceGroups.delete"
            : method === "PUT"
              ? "resourceGroups.createOrUpdate"
              : "resourceGroups.get";
      if (s.length === 4 && s[2] === "operationresults") return "operationResults.get";
      if (s.length === 8 && s[2] === "providers" && s[4] === "locations" && s[6] === "operations") return "operations.get";
      if (s.length === 8 && s[2] === "providers" && s[4] === "locations" && s[6] === "operationresults") return "operationResults.get";
      if (s.length >= 8 && s[2] === "resourcegroups" && s[4] === "providers") return resourceRoute(method, s);
      if (s[2] !== "providers" || s[3] !== "microsoft.compute") return "";
      if (s.length === 5 && s[4] === "skus") return "resourceSkus.list";
      if (s[4] !== "locations") return "";
      if (s.length === 7 && s[6] === "vmsizes") return "virtualMachineSizes.list";
      if (s[6] === "publishers" && s[8] === "artifacttypes" && s[9] === "vmimage" && s[10] === "offers" && s[12] === "skus") {
        if (s.length === 13) return "virtualMachineImages.listSkus";
        if (s.length === 15 && s[14] === "versions") return "virtualMachineImages.list";
        if (s.length === 16 && s[14] === "versions") return "virtualMachineImages.get";
      }
      return "";
    }
    if (s.length === 4 && s[1] === "v2.0" && s[2] === ".well-known" && s[3] === "openid-configuration") return "openid-configuration";
    if (s.length === 3 && s[1] === ".well-known" && s[2] === "openid-configuration") return "openid-configuration";
    if (s.length === 3 && s[0] === "common" && s[1] === "discovery" && s[2] === "instance") return "instance-discovery";
    if ((s.length === 4 && s[1] === "oauth2" && s[2] === "v2.0" && s[3] === "token") || (s.length === 3 && s[1] === "oauth2" && s[2] === "token")) return "token";
    if ((s.length === 4 && s[1] === "discovery" && s[2] === "v2.0" && s[3] === "keys") || (s.length === 3 && s[1] === "discovery" && s[2] === "keys")) return "jwks";
    return "";
  }

  /** @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res */
  async function handle(req, res) {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "https://mock.invalid");
    const method = req.method ?? "GET";
    /** @type {string[]} */
    let seg;
    try {
      seg = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      seg = [];
    }
    const route = routeOf(method, seg);
    /** @type {Record<string, string>} */
    const query = {};
    for (const [k, v] of url.searchParams) query[k] = SECRET_PARAMS.test(k) ? "[redacted]" : v;
    /** @type {AzureRequestLogEntry} */
    const entry = { time: new Date(started).toISOString(), method, path: url.pathname, query, route, status: null, ms: 0 };
    inFlight++;
    res.on("close", () => {
      entry.status = res.writableFinished || res.headersSent ? res.statusCode : null;
      entry.ms = Date.now() - started;
      requests.push(entry);
      if (options.log) {
        try {
          appendFileSync(options.log, JSON.stringify(entry) + "\n");
        } catch {
          /* a log that cannot be written must not break the server */
        }
      }
      if (--inFlight === 0) for (const f of idleWaiters.splice(0)) f();
    });
    const origin = `https://${req.headers.host ?? `${host}:${port}`}`;

    // Fault injection, before anything else.
    const fault = route ? faults[route] : undefined;
    if (fault && (fault.times === undefined || fault.times > 0)) {
      if (fault.times !== undefined) fault.times--;
      entry.fault = JSON.stringify(fault);
      if (fault.delayMs) {
        await new Promise((r) => {
          const t = setTimeout(r, fault.delayMs);
          res.once("close", () => (clearTimeout(t), r(undefined))); // the client gave up: stop waiting
        });
      }
      if (res.destroyed) return;
      if (fault.hang) return; // never answer; close() destroys the socket
      if (fault.reset) return void req.socket.destroy();
      if (fault.async)
        asyncFaults.set(req, fault); // accepted now, the operation fails later
      else if (fault.status) {
        const code = fault.code ?? "InjectedFault";
        const message = fault.message ?? `Injected fault on ${route}`;
        if (route === "token" || route === "openid-configuration" || route === "instance-discovery" || route === "jwks")
          return sendJson(res, fault.status, { error: code, error_description: message }, fault.headers);
        return armError(res, fault.status, code, message, fault.headers);
      }
    }

    if (!route) {
      entry.error = "no route";
      if (seg[0] && norm(seg[0]) === "subscriptions") return armError(res, 404, "MockRouteNotFound", `The Azure test server has no route for ${method} ${url.pathname}.`);
      return sendJson(res, 404, { error: "not_found", error_description: `The Azure test server has no route for ${method} ${url.pathname}.` });
    }

    if (route === "token") return tokenRoute(req, res, seg, entry);
    if (route === "openid-configuration") {
      if (method !== "GET") return sendJson(res, 405, { error: "invalid_request", error_description: "Method not allowed." });
      const t = seg[0];
      if (!state.tenants?.[t] && !["common", "organizations", "consumers"].includes(norm(t))) {
        entry.tenant = t;
        return aadError(
          res,
          400,
          "invalid_tenant",
          90002,
          `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
        );
      }
      entry.tenant = t;
      const v2 = seg.length === 4;
      return sendJson(
        res,
        200,
        v2
          ? {
              token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
              token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
              jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
              response_modes_supported: ["query", "fragment", "form_post"],
              subject_types_supported: ["pairwise"],
              id_token_signing_alg_values_supported: ["RS256"],
              response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
              scopes_supported: ["openid", "profile", "email", "offline_access"],
              issuer: `${origin}/${t}/v2.0`,
              request_uri_parameter_supported: false,
              authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
              device_authorization_endpoint: `${origin}/${t}/oauth2/v2.0/devicecode`,
              end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
              tenant_region_scope: "EU",
              cloud_instance_name: "microsoftonline.com",
            }
          : {
              token_endpoint: `${origin}/${t}/oauth2/token`,
              jwks_uri: `${origin}/common/discovery/keys`,
              issuer: `https://sts.windows.net/${t}/`,
              authorization_endpoint: `${origin}/${t}/oauth2/authorize`,
              end_session_endpoint: `${origin}/${t}/oauth2/logout`,
            },
      );
    }
    if (route === "instance-discovery") {
      const h = (req.headers.host ?? "").toLowerCase();
      return sendJson(res, 200, {
        tenant_discovery_endpoint: `${origin}/common/v2.0/.well-known/openid-configuration`,
        "api-version": "1.1",
        metadata: [{ preferred_network: h, preferred_cache: h, aliases: [h] }],
      });
    }
    if (route === "jwks") return sendJson(res, 200, { keys: [] });
    return armRoute(req, res, route, seg, entry, url, origin);
  }

  // ---------------------------------------------------------------- login

  /**
   * @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res
   * @param {string[]} seg @param {AzureRequestLogEntry} entry
   */
  async function tokenRoute(req, res, seg, entry) {
    if (req.method !== "POST") return sendJson(res, 405, { error: "invalid_request", error_description: "Method not allowed." });
    const v1 = seg.length === 3;
    const tenantId = seg[0];
    entry.tenant = tenantId;
    const form = new URLSearchParams(await readBody(req));
    let clientId = form.get("client_id") ?? "";
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (basic) {
      const [id, ...rest] = Buffer.from(basic[1], "base64").toString("utf8").split(":");
      clientId ||= decodeURIComponent(id);
      secret ??= decodeURIComponent(rest.join(":"));
    }
    entry.clientId = clientId;
    entry.grantType = form.get("grant_type") ?? "";
    const resource = v1 ? (form.get("resource") ?? "") : "";
    const scope = v1 ? "" : (form.get("scope") ?? "");
    entry.scope = v1 ? resource : scope;

    const tenant = state.tenants?.[tenantId];
    if (!tenant)
      return aadError(
        res,
        400,
        "invalid_request",
        90002,
        `Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      );
    if (entry.grantType !== "client_credentials") return aadError(res, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${entry.grantType}'.`);
    if (!clientId) return aadError(res, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    const client = tenant.clients.find((c) => c.clientId === clientId);
    if (!client)
      return aadError(
        res,
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    if (!secret) return aadError(res, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    const a = Buffer.from(secret),
      b = Buffer.from(client.clientSecret);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      return aadError(
        res,
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    if (client.secretExpired)
      return aadError(
        res,
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      );

    let audience;
    if (v1) {
      if (!resource) return aadError(res, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'resource'.");
      audience = resource;
    } else {
      const scopes = scope.split(/\s+/).filter(Boolean);
      const dflt = scopes.find((x) => x.endsWith("/.default"));
      if (!dflt)
        return aadError(
          res,
          400,
          "invalid_scope",
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      audience = dflt.slice(0, -"/.default".length);
    }
    if (!audiences().has(audience) && !OTHER_RESOURCES.has(audience.replace(/\/+$/, "")))
      return aadError(
        res,
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${audience} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );

    const life = state.tokenLifetimeSeconds ?? 3599;
    const token = mintToken({ tenantId, clientId, objectId: client.objectId, audience, lifetimeSeconds: life });
    if (v1) {
      const now = Math.floor(Date.now() / 1000);
      return sendJson(res, 200, {
        token_type: "Bearer",
        expires_in: String(life),
        ext_expires_in: String(life),
        expires_on: String(now + life),
        not_before: String(now),
        resource: audience,
        access_token: token,
      });
    }
    return sendJson(res, 200, { token_type: "Bearer", expires_in: life, ext_expires_in: life, access_token: token });
  }

  // ---------------------------------------------------------------- ARM

  /** Authorization action named in 403 AuthorizationFailed, per route. */
  const ACTIONS = /** @type {Record<string, string>} */ ({
    "subscriptions.get": "Microsoft.Resources/subscriptions/read",
    "resourceGroups.get": "Microsoft.Resources/subscriptions/resourcegroups/read",
    "resourceGroups.checkExistence": "Microsoft.Resources/subscriptions/resourcegroups/read",
    "resourceGroups.list": "Microsoft.Resources/subscriptions/resourcegroups/read",
    "resourceGroups.delete": "Microsoft.Resources/subscriptions/resourcegroups/delete",
    "virtualMachineImages.listSkus": "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/read",
    "virtualMachineImages.list": "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read",
    "virtualMachineImages.get": "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read",
    "virtualMachineSizes.list": "Microsoft.Compute/locations/vmSizes/read",
    "resourceSkus.list": "Microsoft.Compute/skus/read",
    "resources.list": "Microsoft.Resources/subscriptions/resources/read",
    "tags.updateAtScope": "Microsoft.Resources/tags/write",
    "tags.getAtScope": "Microsoft.Resources/tags/read",
  });

  /**
   * @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res
   * @param {string} route @param {string[]} seg @param {AzureRequestLogEntry} entry @param {URL} url @param {string} origin
   */
  async function armRoute(req, res, route, seg, entry, url, origin) {
    const method = req.method ?? "GET";
    if (!ROUTES.includes(route) || methodOf(route) !== method) return armError(res, 405, "MethodNotAllowed", `The Azure test server does not model ${method} on ${route}.`);

    // 1. authentication (ARM checks the token before anything else)
    const challenge = (/** @type {string} */ d) => ({
      "www-authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${d}"`,
    });
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m) {
      entry.auth = "none";
      return armError(
        res,
        401,
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is missing.",
        challenge("The authentication failed because of missing 'Authorization' header."),
      );
    }
    const { claims, why } = verifyToken(m[1]);
    if (!claims) {
      entry.auth = `invalid (${why})`;
      return armError(res, 401, "InvalidAuthenticationToken", "The access token is invalid.", challenge("The access token is invalid."));
    }
    entry.tenant = String(claims.tid);
    entry.clientId = String(claims.appid);
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== "number" || claims.exp <= now) {
      entry.auth = "expired";
      const fmt = (/** @type {number} */ s) => new Date(s * 1000).toLocaleString("en-US", { timeZone: "UTC" });
      return armError(
        res,
        401,
        "ExpiredAuthenticationToken",
        `The access token expiry UTC time '${fmt(Number(claims.exp))}' is earlier than current UTC time '${fmt(now)}'.`,
        challenge("The access token expiry UTC time is earlier than current UTC time."),
      );
    }
    if (!audiences().has(String(claims.aud))) {
      entry.auth = "wrong audience";
      return armError(
        res,
        401,
        "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${claims.aud}'. It should exactly match with one of the allowed audiences ${[...audiences()].map((a) => `'${a}'`).join(",")}.`,
        challenge("The access token has been obtained from wrong audience or resource."),
      );
    }
    entry.auth = "ok";

    // 2. api-version is mandatory on every ARM request (its value is ignored)
    if (!url.searchParams.get("api-version"))
      return armError(res, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");

    // 3. subscription, tenant, authorization
    const found = findSub(seg[1]);
    if (!found) return armError(res, 404, "SubscriptionNotFound", `The subscription '${seg[1]}' could not be found.`);
    const { id: subId, sub } = found;
    if (sub.tenantId && norm(sub.tenantId) !== norm(String(claims.tid))) {
      entry.auth = "wrong tenant";
      return armError(
        res,
        401,
        "InvalidAuthenticationTokenTenant",
        `The access token is from the wrong issuer 'https://sts.windows.net/${claims.tid}/'. It must match the tenant 'https://sts.windows.net/${sub.tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${sub.tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
        challenge("The access token is from the wrong issuer."),
      );
    }
    if (sub.authorizedClients && !sub.authorizedClients.includes(String(claims.appid))) {
      const scopePath = "/" + seg.join("/");
      return armError(
        res,
        403,
        "AuthorizationFailed",
        `The client '${claims.appid}' with object id '${claims.oid}' does not have authorization to perform action '${ACTIONS[route] ?? writeAction(route, seg)}' over scope '${scopePath}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }

    // 4. the resource itself
    if (route === "subscriptions.get") {
      return sendJson(res, 200, {
        id: `/subscriptions/${subId}`,
        authorizationSource: "RoleBased",
        subscriptionId: subId,
        tenantId: sub.tenantId ?? String(claims.tid),
        displayName: sub.displayName ?? subId,
        state: "Enabled",
        subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off" },
      });
    }
    if (route === "resourceGroups.list") {
      // ARM's tag filter: $filter=tagName eq 'K' [and tagValue eq 'V'] (no other filters are modelled).
      const filter = url.searchParams.get("$filter") ?? "";
      const fm = /^tagName eq '([^']*)'(?: and tagValue eq '([^']*)')?$/.exec(filter.trim());
      if (filter !== "" && !fm) return armError(res, 400, "InvalidFilter", `The Azure test server models only tagName/tagValue filters, not: ${filter}`);
      const groups = (sub.resourceGroups ?? []).filter((g) => !fm || (g.tags && fm[1] in g.tags && (fm[2] === undefined || g.tags[fm[1]] === fm[2])));
      return sendJson(res, 200, {
        value: groups.map((g) => ({
          id: `/subscriptions/${subId}/resourceGroups/${g.name}`,
          name: g.name,
          type: "Microsoft.Resources/resourceGroups",
          location: normLoc(g.location),
          ...(g.tags ? { tags: g.tags } : {}),
          properties: { provisioningState: "Succeeded" },
        })),
      });
    }
    if (route === "resources.list") {
      // Resources - List with ARM's tag filter; nested resources (gallery image versions) are listed too, named "g/i/v".
      const filter = url.searchParams.get("$filter") ?? "";
      const fm = /^tagName eq '([^']*)'(?: and tagValue eq '([^']*)')?$/.exec(filter.trim());
      if (filter !== "" && !fm) return armError(res, 400, "InvalidFilter", `The Azure test server models only tagName/tagValue filters, not: ${filter}`);
      const all = (sub.resourceGroups ?? []).flatMap((g) => g.resources ?? []);
      const hit = all.filter((r) => !fm || (r.tags && fm[1] in r.tags && (fm[2] === undefined || r.tags[fm[1]] === fm[2])));
      return sendJson(res, 200, {
        value: hit.map((r) => ({
          id: r.id,
          name: (/\/providers\/[^/]+\/(.+)$/.exec(r.id)?.[1] ?? r.name)
            .split("/")
            .filter((_, i) => i % 2 === 1)
            .join("/"),
          type: r.type,
          location: r.location,
          ...(r.tags ? { tags: r.tags } : {}),
        })),
      });
    }
    if (route === "tags.updateAtScope" || route === "tags.getAtScope") {
      const scope = "/" + seg.slice(0, -4).join("/");
      const r = (sub.resourceGroups ?? []).flatMap((g) => g.resources ?? []).find((x) => norm(x.id) === norm(scope));
      if (!r) return armError(res, 404, "ResourceNotFound", `The Resource '${scope}' was not found.`);
      if (route === "tags.getAtScope")
        return sendJson(res, 200, {
          id: `${r.id}/providers/Microsoft.Resources/tags/default`,
          name: "default",
          type: "Microsoft.Resources/tags",
          properties: { tags: r.tags ?? {} },
        });
      const body = await jsonBody(req, res);
      if (!body) return;
      const op = String(body.operation ?? "");
      const given = /** @type {Record<string, string>} */ (body.properties?.tags ?? {});
      if (op === "Replace") r.tags = { ...given };
      else if (op === "Merge") r.tags = { ...(r.tags ?? {}), ...given };
      else if (op === "Delete") {
        // Azure deletes a tag only where name and value both match.
        r.tags = Object.fromEntries(Object.entries(r.tags ?? {}).filter(([k, v]) => !(k in given && given[k] === v)));
      } else return armError(res, 400, "InvalidRequestContent", `The request content was invalid: operation '${op}' is not one of Merge, Replace, Delete.`);
      return sendJson(res, 200, { id: `${r.id}/providers/Microsoft.Resources/tags/default`, name: "default", type: "Microsoft.Resources/tags", properties: { tags: r.tags } });
    }
    if (route === "resourceGroups.delete") {
      const groups = sub.resourceGroups ?? [];
      const i = groups.findIndex((g) => norm(g.name) === norm(seg[3]));
      if (i === -1) return armError(res, 404, "ResourceGroupNotFound", `Resource group '${seg[3]}' could not be found.`);
      const failed = asyncFaults.get(req);
      if (!failed) groups.splice(i, 1);
      // ARM answers 202 with a Location to poll; the group (and all in it) is gone here at once.
      const op = newOperation(entry, failed);
      res.writeHead(202, {
        "x-ms-request-id": randomUUID(),
        "content-length": "0",
        "retry-after": "0",
        location: `${origin}/subscriptions/${subId}/operationresults/${op.id}?api-version=${url.searchParams.get("api-version")}`,
      });
      return void res.end();
    }
    if (
      route !== "resourceGroups.get" &&
      route !== "resourceGroups.checkExistence" &&
      route !== "resourceGroups.list" &&
      route !== "resources.list" &&
      route !== "tags.updateAtScope" &&
      route !== "tags.getAtScope" &&
      !route.startsWith("virtualMachineImages.") &&
      route !== "virtualMachineSizes.list" &&
      route !== "resourceSkus.list"
    )
      return writeRoute(req, res, route, seg, entry, url, origin, subId, sub);
    if (route === "resourceGroups.get" || route === "resourceGroups.checkExistence") {
      const rg = (sub.resourceGroups ?? []).find((g) => norm(g.name) === norm(seg[3]));
      if (route === "resourceGroups.checkExistence") {
        res.writeHead(rg ? 204 : 404, { "x-ms-request-id": randomUUID() });
        return void res.end();
      }
      if (!rg) return armError(res, 404, "ResourceGroupNotFound", `Resource group '${seg[3]}' could not be found.`);
      return sendJson(res, 200, {
        id: `/subscriptions/${subId}/resourceGroups/${rg.name}`,
        name: rg.name,
        type: "Microsoft.Resources/resourceGroups",
        location: normLoc(rg.location),
        ...(rg.tags ? { tags: rg.tags } : {}),
        properties: { provisioningState: "Succeeded" },
      });
    }

    const apiVersion = url.searchParams.get("api-version") ?? "";
    const locations = knownLocations();
    if (route === "resourceSkus.list") return resourceSkus(res, subId, url, origin, locations);

    // location-scoped Microsoft.Compute routes
    const loc = normLoc(seg[5]);
    if (!locations.has(loc)) {
      const type = route === "virtualMachineSizes.list" ? "locations/vmSizes" : "locations/publishers";
      return armError(
        res,
        400,
        "NoRegisteredProviderFound",
        `No registered resource provider found for location '${seg[5]}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${apiVersion}'. The supported locations are '${[...locations].join(", ")}'.`,
      );
    }
    if (route === "virtualMachineSizes.list") {
      const sizes = Object.entries(state.vmSizes ?? {})
        .filter(([l]) => normLoc(l) === loc)
        .flatMap(([, v]) => v);
      return sendJson(res, 200, {
        value: sizes.map((s) => ({
          name: s.name,
          numberOfCores: s.numberOfCores,
          osDiskSizeInMB: s.osDiskSizeInMB ?? 1047552,
          resourceDiskSizeInMB: s.resourceDiskSizeInMB ?? 0,
          memoryInMB: s.memoryInMB,
          maxDataDiskCount: s.maxDataDiskCount ?? 4,
        })),
      });
    }

    // marketplace images
    const [pub, offer] = [norm(seg[7]), norm(seg[11])];
    const inOffer = (state.images ?? []).filter((i) => normLoc(i.location) === loc && norm(i.publisher) === pub && norm(i.offer) === offer);
    const notFound = () => armError(res, 404, "NotFound", "Artifact: VMImage was not found.");
    const idBase = (/** @type {AzureImage} */ i) =>
      `/Subscriptions/${subId}/Providers/Microsoft.Compute/Locations/${loc}/Publishers/${i.publisher}/ArtifactTypes/VMImage/Offers/${i.offer}/Skus/${i.sku}`;
    if (route === "virtualMachineImages.listSkus") {
      if (!inOffer.length) return notFound();
      return sendJson(
        res,
        200,
        inOffer.map((i) => ({
          location: loc,
          name: i.sku,
          id: idBase(i),
          properties: { automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false } },
        })),
      );
    }
    const img = inOffer.find((i) => norm(i.sku) === norm(seg[13]));
    if (!img) return notFound();
    if (route === "virtualMachineImages.list") {
      let versions = [...img.versions].sort(compareVersions);
      const orderby = (url.searchParams.get("$orderby") ?? "").trim().toLowerCase();
      if (/^name\s+desc$/.test(orderby)) versions.reverse();
      const top = url.searchParams.get("$top");
      if (top !== null && /^\d+$/.test(top)) versions = versions.slice(0, Number(top));
      const expand = (url.searchParams.get("$expand") ?? "").toLowerCase() === "properties";
      return sendJson(
        res,
        200,
        versions.map((v) => ({
          location: loc,
          name: v,
          id: `${idBase(img)}/Versions/${v}`,
          ...(expand ? { properties: imageProperties(img) } : {}),
        })),
      );
    }
    // virtualMachineImages.get
    const version = seg[15];
    if (norm(version) === "latest") return armError(res, 400, "InvalidParameter", "The value of parameter version is invalid.", {}, "version");
    const v2 = img.versions.find((x) => norm(x) === norm(version));
    if (!v2) return notFound();
    return sendJson(res, 200, { location: loc, name: v2, id: `${idBase(img)}/Versions/${v2}`, properties: imageProperties(img) });
  }

  // ---------------------------------------------------------------- ARM writes

  /** A long-running operation, polled at its Azure-AsyncOperation or Location URL. @param {AzureRequestLogEntry} entry @param {AzureFault} [failed] */
  function newOperation(entry, failed) {
    const op = {
      id: randomUUID(),
      status: "InProgress",
      pollsLeft: Math.max(0, state.operationPolls ?? 1),
      started: new Date().toISOString(),
      httpStatus: failed?.status ?? 400,
      ...(failed ? { error: { code: failed.code ?? "InjectedFault", message: failed.message ?? `Injected fault on ${entry.route}` } } : {}),
    };
    operations.set(op.id, op);
    entry.operation = op.id;
    return op;
  }

  /** The RBAC action a write route needs (named in 403 AuthorizationFailed). @param {string} route @param {string[]} seg */
  function writeAction(route, seg) {
    if (route === "resourceGroups.createOrUpdate") return "Microsoft.Resources/subscriptions/resourcegroups/write";
    if (route.startsWith("operation")) return "Microsoft.Resources/subscriptions/operationresults/read";
    const p = parsePath(seg);
    if (!p) return route;
    const m = methodOf(route);
    return `${p.type}/${m === "PUT" ? "write" : m === "DELETE" ? "delete" : m === "POST" ? `${p.extra}/action` : "read"}`;
  }

  /** @param {string[]} seg path segments from "subscriptions" on (original case) */
  function parsePath(seg) {
    const [ns, ...rest] = seg.slice(5);
    /** @type {string[]} */ const types = [];
    /** @type {string[]} */ const names = [];
    for (let i = 0; i + 1 < rest.length; i += 2) (types.push(rest[i]), names.push(rest[i + 1]));
    const extra = rest.length % 2 === 1 ? rest[rest.length - 1] : undefined;
    const k = KINDS[norm([ns, ...types].join("/"))];
    if (!k) return undefined;
    return { ...k, names, extra };
  }

  const resourceIdOf = (/** @type {string} */ type, /** @type {string[]} */ names, /** @type {string} */ subId, /** @type {string} */ rgName) =>
    armResourceId(subId, rgName, type, ...names);

  /** Finds a resource by id anywhere in the state. @param {string} id */
  function findById(id) {
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(id);
    if (!m) return undefined;
    const found = findSub(m[1]);
    const rg = found?.sub.resourceGroups?.find((g) => norm(g.name) === norm(m[2]));
    return rg?.resources?.find((r) => norm(r.id) === norm(id));
  }

  /** What GET returns for a resource. @param {AzureResource} r */
  function view(r) {
    const properties = { ...r.properties };
    if (r.type === "Microsoft.Resources/deployments") delete properties.template; // ARM does not return it (exportTemplate does)
    return { id: r.id, name: r.name, type: r.type, ...(r.location ? { location: r.location } : {}), ...(r.tags ? { tags: r.tags } : {}), properties };
  }

  /** @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res @returns {Promise<any>} */
  async function jsonBody(req, res) {
    const text = await readBody(req);
    try {
      const v = JSON.parse(text || "{}");
      if (v && typeof v === "object") return v;
    } catch {
      /* below */
    }
    armError(res, 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
    return undefined;
  }

  /**
   * Creates what one template resource declares, the way the resource providers would.
   * @param {AzureResourceGroup & { resources: AzureResource[] }} rg @param {import("./arm-template.mjs").TemplateResource} tr @param {string} subId
   * @param {string[]} keys collects the VM's SSH public keys
   * @returns {AzureResource[]}
   */
  function createFromTemplate(rg, tr, subId, keys) {
    const k = KINDS[norm(tr.type)];
    const type = k?.type ?? tr.type;
    const names = tr.name.split("/");
    const id = resourceIdOf(type, names, subId, rg.name);
    const properties = structuredClone(tr.properties ?? {});
    /** @type {AzureResource[]} */
    const made = [];
    /** @type {AzureResource} */
    const r = { id, name: names[names.length - 1], type, location: normLoc(String(tr.location ?? rg.location)), ...(tr.tags ? { tags: tr.tags } : {}), properties };
    if (type === "Microsoft.Network/publicIPAddresses") properties.ipAddress = state.publicIpAddress ?? "127.0.0.1";
    if (type === "Microsoft.Network/networkInterfaces") for (const c of properties.ipConfigurations ?? []) (c.properties ??= {}).privateIPAddress = "10.0.0.4";
    if (type === "Microsoft.Compute/virtualMachines") {
      if (properties.osProfile) delete properties.osProfile.adminPassword; // write-only in ARM
      for (const key of properties.osProfile?.linuxConfiguration?.ssh?.publicKeys ?? []) if (key?.keyData) keys.push(String(key.keyData).trim());
      const osDisk = ((properties.storageProfile ??= {}).osDisk ??= {});
      osDisk.osType = "Linux";
      if (!osDisk.vhd) {
        const diskName = String(osDisk.name ?? `${r.name}_OsDisk_1_${randomBytes(16).toString("hex")}`);
        /** @type {AzureResource} */
        const disk = {
          id: resourceIdOf("Microsoft.Compute/disks", [diskName], subId, rg.name),
          name: diskName,
          type: "Microsoft.Compute/disks",
          location: r.location,
          properties: { osType: "Linux", diskSizeGB: osDisk.diskSizeGB ?? 30, diskState: "Attached", provisioningState: "Succeeded" },
        };
        made.push(disk);
        osDisk.name = diskName;
        osDisk.managedDisk = { ...(osDisk.managedDisk ?? {}), id: disk.id };
      }
      properties.vmId = randomUUID();
      r.powerState = "running";
      r.generalized = false;
    }
    properties.provisioningState = "Succeeded";
    made.push(r);
    return made;
  }

  /** @param {AzureResourceGroup & { resources: AzureResource[] }} rg @param {AzureResource} r */
  function put(rg, r) {
    const i = rg.resources.findIndex((x) => norm(x.id) === norm(r.id));
    if (i >= 0) rg.resources[i] = r;
    else rg.resources.push(r);
  }

  /**
   * PUT/POST/DELETE routes and the operations they start; GETs of what they made.
   * @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res
   * @param {string} route @param {string[]} seg @param {AzureRequestLogEntry} entry @param {URL} url @param {string} origin
   * @param {string} subId @param {AzureSubscription} sub
   */
  async function writeRoute(req, res, route, seg, entry, url, origin, subId, sub) {
    const apiVersion = url.searchParams.get("api-version") ?? "";
    const failed = asyncFaults.get(req);
    const retry = { "retry-after": "0" }; // go-autorest polls after Retry-After seconds (else its 60 s default)

    if (route === "operations.get" || route === "operationResults.get") {
      const op = operations.get(seg[seg.length - 1]);
      if (!op) return armError(res, 404, "NotFound", `The operation '${seg[seg.length - 1]}' was not found.`);
      if (op.status === "InProgress") {
        if (op.pollsLeft > 0) op.pollsLeft--;
        else op.status = op.error ? "Failed" : "Succeeded";
      }
      if (route === "operations.get") {
        return sendJson(
          res,
          200,
          {
            name: op.id,
            status: op.status,
            startTime: op.started,
            ...(op.status !== "InProgress" ? { endTime: new Date().toISOString() } : {}),
            ...(op.error && op.status === "Failed" ? { error: op.error } : {}),
          },
          retry,
        );
      }
      if (op.status === "InProgress") {
        res.writeHead(202, { "x-ms-request-id": randomUUID(), "content-length": "0", location: url.href.replace("https://mock.invalid", origin), ...retry });
        return void res.end();
      }
      if (op.status === "Failed" && op.error) return armError(res, op.httpStatus, op.error.code, op.error.message);
      res.writeHead(200, { "x-ms-request-id": randomUUID(), "content-length": "0" });
      return void res.end();
    }

    /**
     * 201/200/202 with the polling headers of a new operation: Azure-AsyncOperation, and Location
     * too when `location` is set; only Location when it is "only" (Resource Manager's own deletes).
     * @param {number} status @param {unknown} body @param {boolean | "only"} [location]
     */
    const accepted = (status, body, location = false) => {
      const op = newOperation(entry, failed);
      const ns = seg[5] ?? "Microsoft.Resources";
      const loc = normLoc(groups.find((g) => norm(g.name) === norm(seg[3] ?? ""))?.location ?? "eastus");
      /** @type {Record<string, string>} */
      const h = { ...retry };
      if (location !== "only") h["azure-asyncoperation"] = `${origin}/subscriptions/${subId}/providers/${ns}/locations/${loc}/operations/${op.id}?api-version=${apiVersion}`;
      if (location) h.location = `${origin}/subscriptions/${subId}/providers/${ns}/locations/${loc}/operationResults/${op.id}?api-version=${apiVersion}`;
      if (body === undefined) {
        res.writeHead(status, { "x-ms-request-id": randomUUID(), "content-length": "0", ...h });
        return void res.end();
      }
      return sendJson(res, status, body, h);
    };

    const groups = (sub.resourceGroups ??= []);
    if (route === "resourceGroups.createOrUpdate") {
      const body = await jsonBody(req, res);
      if (!body) return;
      if (typeof body.location !== "string" || !body.location) return armError(res, 400, "LocationRequired", "The location property is required for this definition.");
      let rg = groups.find((g) => norm(g.name) === norm(seg[3]));
      const created = !rg;
      if (!rg) groups.push((rg = { name: seg[3], location: normLoc(body.location), resources: [] }));
      if (body.tags) rg.tags = body.tags;
      return sendJson(res, created ? 201 : 200, {
        id: `/subscriptions/${subId}/resourceGroups/${rg.name}`,
        name: rg.name,
        type: "Microsoft.Resources/resourceGroups",
        location: rg.location,
        ...(rg.tags ? { tags: rg.tags } : {}),
        properties: { provisioningState: "Succeeded" },
      });
    }

    const p = parsePath(seg);
    if (!p) return armError(res, 404, "MockRouteNotFound", `The Azure test server has no route for ${req.method} ${url.pathname}.`);
    const found = groups.find((g) => norm(g.name) === norm(seg[3]));
    if (!found) return armError(res, 404, "ResourceGroupNotFound", `Resource group '${seg[3]}' could not be found.`);
    const rg = /** @type {AzureResourceGroup & { resources: AzureResource[] }} */ (found);
    rg.resources ??= [];
    const id = resourceIdOf(p.type, p.names, subId, rg.name);
    const existing = rg.resources.find((r) => norm(r.id) === norm(id));
    const display = `${p.type.split("/")[0]}/${p.type
      .split("/")
      .slice(1)
      .map((t, i) => `${t}/${p.names[i]}`)
      .join("/")}`;
    const notFound = () =>
      armError(
        res,
        404,
        "ResourceNotFound",
        `The Resource '${display}' under resource group '${rg.name}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    if (p.names.length > 1) {
      const parentId = id.split("/").slice(0, -2).join("/");
      if (!rg.resources.some((r) => norm(r.id) === norm(parentId)))
        return armError(
          res,
          404,
          "ParentResourceNotFound",
          `Can not perform requested operation on nested resource. Parent resource '${p.names.slice(0, -1).join("/")}' not found.`,
        );
    }
    const verb = methodOf(route);

    if (verb === "GET" && route !== "deploymentOperations.list" && route !== "virtualMachines.instanceView") return existing ? sendJson(res, 200, view(existing)) : notFound();
    if (verb === "DELETE") {
      if (!existing) {
        res.writeHead(204, { "x-ms-request-id": randomUUID() });
        return void res.end();
      }
      if (!failed) rg.resources.splice(rg.resources.indexOf(existing), 1);
      return accepted(202, undefined, p.kind === "deployments" ? "only" : true);
    }
    if (route === "deploymentOperations.list") {
      if (!existing) return armError(res, 404, "DeploymentNotFound", `Deployment '${p.names[0]}' could not be found.`);
      return sendJson(res, 200, {
        value: (existing.properties.outputResources ?? []).map((/** @type {{ id: string }} */ o, /** @type {number} */ i) => {
          const [, type] = /\/providers\/([^/]+\/[^/]+(?:\/[^/]+\/[^/]+)*)$/.exec(o.id) ?? [];
          const parts = (type ?? "").split("/");
          return {
            id: `${existing.id}/operations/${String(i + 1).padStart(16, "0")}`,
            operationId: String(i + 1).padStart(16, "0"),
            properties: {
              provisioningOperation: "Create",
              provisioningState: "Succeeded",
              timestamp: new Date().toISOString(),
              statusCode: "OK",
              targetResource: {
                id: o.id,
                resourceType: [parts[0], ...parts.slice(1).filter((_, j) => j % 2 === 0)].join("/"),
                resourceName: parts
                  .slice(1)
                  .filter((_, j) => j % 2 === 1)
                  .join("/"),
              },
            },
          };
        }),
      });
    }
    if (p.kind === "virtualMachines" && route !== "virtualMachines.get") {
      if (!existing) return notFound();
      if (route === "virtualMachines.instanceView")
        return sendJson(res, 200, {
          statuses: [
            { code: "ProvisioningState/succeeded", level: "Info", displayStatus: "Provisioning succeeded" },
            { code: `PowerState/${existing.powerState ?? "running"}`, level: "Info" },
          ],
        });
      if (route === "virtualMachines.generalize") {
        if (existing.powerState === "running")
          return armError(
            res,
            409,
            "OperationNotAllowed",
            `Operation 'generalize' is not allowed on VM '${existing.name}' since the VM is running. Please power off (deallocate) the VM and try again.`,
          );
        if (!failed) existing.generalized = true;
        res.writeHead(200, { "x-ms-request-id": randomUUID(), "content-length": "0" });
        return void res.end();
      }
      if (!failed) existing.powerState = route === "virtualMachines.start" ? "running" : route === "virtualMachines.deallocate" ? "deallocated" : "stopped";
      return accepted(202, undefined, true);
    }

    // PUT and deployments.validate
    const body = await jsonBody(req, res);
    if (!body) return;
    if (p.kind === "deployments") {
      const props = body.properties ?? {};
      /** @type {import("./arm-template.mjs").TemplateResource[]} */
      let declared;
      try {
        declared = evaluateTemplate(props.template, props.parameters ?? {}, { subscriptionId: subId, resourceGroup: { name: rg.name, location: rg.location } });
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        return armError(res, 400, "InvalidTemplate", `Deployment template validation failed: '${e.message}'.`);
      }
      if (route === "deployments.validate") {
        return sendJson(res, 200, {
          id,
          name: p.names[0],
          type: p.type,
          properties: {
            provisioningState: "Succeeded",
            mode: props.mode ?? "Incremental",
            timestamp: new Date().toISOString(),
            validatedResources: declared.map((d) => ({ id: resourceIdOf(KINDS[norm(d.type)]?.type ?? d.type, d.name.split("/"), subId, rg.name) })),
          },
        });
      }
      /** @type {string[]} */ const keys = [];
      /** @type {AzureResource[]} */ const made = [];
      if (!failed) for (const d of declared) made.push(...createFromTemplate(rg, d, subId, keys));
      // Parameters of type securestring, and anything named like a password or secret, are never kept.
      const declaredParams = props.template?.parameters ?? {};
      const parameters = Object.fromEntries(
        Object.entries(props.parameters ?? {}).map(([k, v]) => {
          const t = String(declaredParams[k]?.type ?? "").toLowerCase();
          return /password|secret/i.test(k) || t === "securestring" || t === "secureobject" ? [k, { type: "SecureString" }] : [k, v];
        }),
      );
      /** @type {AzureResource} */
      const dep = {
        id,
        name: p.names[0],
        type: p.type,
        properties: {
          provisioningState: failed ? "Failed" : "Succeeded",
          mode: props.mode ?? "Incremental",
          timestamp: new Date().toISOString(),
          parameters,
          template: props.template,
          outputResources: made.map((r) => ({ id: r.id })),
          ...(failed ? { error: { code: failed.code ?? "InjectedFault", message: failed.message ?? "Injected fault" } } : {}),
        },
      };
      put(rg, dep);
      for (const r of made) put(rg, r);
      if (!failed && options.onDeployment) {
        const vm = made.find((r) => r.type === "Microsoft.Compute/virtualMachines");
        await options.onDeployment({
          subscriptionId: subId,
          resourceGroup: rg.name,
          name: dep.name,
          ...(vm?.properties.osProfile?.adminUsername ? { adminUsername: vm.properties.osProfile.adminUsername } : {}),
          sshPublicKeys: keys,
          resources: made,
        });
      }
      return accepted(existing ? 200 : 201, { ...view(dep), properties: { ...view(dep).properties, provisioningState: "Accepted" } });
    }

    const props = structuredClone(body.properties ?? {});
    if (p.kind === "images") {
      const srcId = props.sourceVirtualMachine?.id;
      if (srcId) {
        const vm = findById(String(srcId));
        if (!vm || vm.type !== "Microsoft.Compute/virtualMachines") return armError(res, 404, "NotFound", `The entity '${srcId}' was not found.`);
        if (!vm.generalized)
          return armError(
            res,
            409,
            "OperationNotAllowed",
            `The operation 'Create Image' is not allowed on VM '${vm.name}' because it is not generalized. Generalize the VM before capturing it.`,
          );
        const osDisk = vm.properties.storageProfile?.osDisk ?? {};
        props.storageProfile = {
          osDisk: {
            osType: "Linux",
            osState: "Generalized",
            ...(osDisk.managedDisk?.id ? { managedDisk: { id: osDisk.managedDisk.id } } : {}),
            caching: "ReadWrite",
            storageAccountType: "Standard_LRS",
            diskSizeGB: 30,
          },
          dataDisks: [],
          zoneResilient: false,
          ...(props.storageProfile ?? {}),
        };
      } else if (!props.storageProfile)
        return armError(res, 400, "InvalidParameter", "Required parameter 'sourceVirtualMachine' or 'storageProfile' is missing (null).", {}, "image");
      props.hyperVGeneration ??= "V1";
    }
    if (p.kind === "galleryImageVersions") {
      const src = props.storageProfile?.source?.id ?? props.publishingProfile?.source?.managedImage?.id;
      if (!src) return armError(res, 400, "InvalidParameter", "Required parameter 'storageProfile.source' is missing (null).", {}, "galleryImageVersion.storageProfile.source");
      if (!findById(String(src))) return armError(res, 404, "NotFound", `The entity '${src}' was not found.`);
      props.publishingProfile = {
        ...(props.publishingProfile ?? {}),
        publishedDate: new Date().toISOString(),
        targetRegions: props.publishingProfile?.targetRegions ?? [
          { name: normLoc(String(body.location ?? rg.location)), regionalReplicaCount: 1, storageAccountType: "Standard_LRS" },
        ],
      };
    }
    if (p.kind === "galleries") props.identifier = { uniqueName: `${subId}-${p.names[0].toUpperCase()}` };
    props.provisioningState = "Succeeded";
    /** @type {AzureResource} */
    const r = {
      id,
      name: p.names[p.names.length - 1],
      type: p.type,
      location: normLoc(String(body.location ?? rg.location)),
      ...(body.tags ? { tags: body.tags } : {}),
      properties: props,
    };
    if (!failed) put(rg, r);
    return accepted(existing ? 200 : 201, { ...view(r), properties: { ...props, provisioningState: existing ? "Updating" : "Creating" } });
  }

  /** @param {AzureImage} img */
  function imageProperties(img) {
    return {
      hyperVGeneration: img.hyperVGeneration ?? "V2",
      architecture: img.architecture ?? "x64",
      osImage: { operatingSystem: "Linux", sizeInGb: 30 },
      dataDiskImages: [],
      automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false },
      imageDeprecationStatus: { imageState: "Active" },
    };
  }

  /**
   * @param {import("node:http").ServerResponse} res @param {string} subId @param {URL} url
   * @param {string} origin @param {Set<string>} locations
   */
  function resourceSkus(res, subId, url, origin, locations) {
    const filter = url.searchParams.get("$filter");
    /** @type {string | undefined} */
    let only;
    if (filter !== null && filter.trim() !== "") {
      const fm = /^\s*location\s+eq\s+'([^']*)'\s*$/i.exec(filter);
      if (!fm) return armError(res, 400, "InvalidFilter", `The Azure test server only models $filter=location eq '<location>' (got: ${filter}).`);
      only = normLoc(fm[1]);
    }
    /** @type {unknown[]} */
    const all = [];
    const locs = only ? (locations.has(only) ? [only] : []) : [...locations].sort();
    for (const loc of locs) {
      const sizes = Object.entries(state.vmSizes ?? {})
        .filter(([l]) => normLoc(l) === loc)
        .flatMap(([, v]) => v);
      for (const s of sizes) {
        const size = s.name.replace(/^(Standard|Basic)_/, "");
        all.push({
          resourceType: "virtualMachines",
          name: s.name,
          tier: s.name.split("_")[0],
          size,
          family: s.family ?? `standard${size.replace(/^([A-Za-z]+).*$/, "$1")}Family`,
          locations: [loc],
          locationInfo: [{ location: loc, zones: s.zones ?? [], zoneDetails: [] }],
          capabilities: [
            { name: "vCPUs", value: String(s.numberOfCores) },
            { name: "MemoryGB", value: String(s.memoryInMB / 1024) },
            { name: "MaxDataDiskCount", value: String(s.maxDataDiskCount ?? 4) },
            { name: "HyperVGenerations", value: "V1,V2" },
            { name: "CpuArchitectureType", value: "x64" },
          ],
          restrictions: s.restricted ? [{ type: "Location", values: [loc], restrictionInfo: { locations: [loc] }, reasonCode: s.restricted }] : [],
        });
      }
      // Real listings mix resource types; consumers must filter on resourceType.
      all.push({
        resourceType: "disks",
        name: "Premium_LRS",
        tier: "Premium",
        size: "P1",
        family: "PremiumSSD",
        locations: [loc],
        locationInfo: [{ location: loc, zones: [], zoneDetails: [] }],
        capabilities: [],
        restrictions: [],
      });
      all.push({
        resourceType: "availabilitySets",
        name: "Aligned",
        locations: [loc],
        locationInfo: [{ location: loc, zones: [], zoneDetails: [] }],
        capabilities: [{ name: "MaximumPlatformFaultDomainCount", value: "3" }],
        restrictions: [],
      });
    }
    const pageSize = state.resourceSkusPageSize;
    if (!pageSize) return sendJson(res, 200, { value: all });
    const skip = Number(url.searchParams.get("$skiptoken") ?? "0") || 0;
    const page = all.slice(skip, skip + pageSize);
    /** @type {Record<string, unknown>} */
    const body = { value: page };
    if (skip + pageSize < all.length) {
      const next = new URL(`${origin}/subscriptions/${subId}/providers/Microsoft.Compute/skus`);
      next.searchParams.set("api-version", url.searchParams.get("api-version") ?? "2021-07-01");
      if (filter) next.searchParams.set("$filter", filter);
      next.searchParams.set("$skiptoken", String(skip + pageSize));
      body.nextLink = next.toString();
    }
    return sendJson(res, 200, body);
  }

  // ---------------------------------------------------------------- lifecycle

  await new Promise((ok, fail) => {
    server.once("error", fail);
    const done = () => {
      server.off("error", fail);
      ok(undefined);
    };
    if (options.path) server.listen(options.path, done);
    else server.listen(options.port ?? 0, host, done);
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: options.path ? `unix:${options.path}` : `https://${urlHost}:${port}`,
    port,
    state,
    faults,
    requests,
    pending: () => inFlight,
    mintToken,
    close: () =>
      new Promise((ok) => {
        server.close(() => {
          // let abandoned requests reach the log before close() resolves (bounded: never hang here)
          if (inFlight === 0) return ok(undefined);
          const t = setTimeout(() => ok(undefined), 1000);
          idleWaiters.push(() => (clearTimeout(t), ok(undefined)));
        });
        for (const s of sockets) s.destroy();
      }),
  };
}

// -------------------------------------------------------------------- standalone

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf("=");
    if (eq > 0) o[a.slice(2, eq)] = a.slice(eq + 1);
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      o[a.slice(2)] = v;
    }
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const a = parseArgs(process.argv.slice(2));
    if (!a.state || !a.cert || !a.key) throw new Error("usage: server.mjs --state FILE --cert FILE --key FILE [--port N] [--host H] [--log FILE] [--faults FILE]");
    const srv = await startAzureServer({
      state: JSON.parse(readFileSync(a.state, "utf8")),
      tls: { cert: readFileSync(a.cert), key: readFileSync(a.key) },
      host: a.host,
      port: a.port ? Number(a.port) : 0,
      log: a.log,
      faults: a.faults ? JSON.parse(readFileSync(a.faults, "utf8")) : undefined,
    });
    process.stdout.write(JSON.stringify({ port: srv.port, url: srv.url }) + "\n");
    const stop = () => void srv.close().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
