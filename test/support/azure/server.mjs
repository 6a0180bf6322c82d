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

/**
 * @typedef {{ clientId: string, clientSecret: string, objectId?: string, secretExpired?: boolean }} AzureClient
 * @typedef {{ name: string, location: string, tags?: Record<string, string> }} AzureResourceGroup
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
 * }} AzureState
 *   locations: the regions that exist (default: every location named elsewhere in the state);
 *   tokenAudiences: resources the login endpoint issues tokens for and ARM accepts
 *     (default: https://management.azure.com and https://management.core.windows.net, with or without "/");
 *   resourceSkusPageSize: page resourceSkus.list with nextLink (default: one page).
 * @typedef {{
 *   status?: number, code?: string, message?: string, headers?: Record<string, string>,
 *   delayMs?: number, hang?: boolean, reset?: boolean, times?: number,
 * }} AzureFault
 *   Applied before anything else on the named route. delayMs then continues normally unless
 *   status/hang/reset is also given; times: apply to this many requests, then stop (default: all).
 * @typedef {{
 *   time: string, method: string, path: string, query: Record<string, string>, route: string,
 *   status: number | null, ms: number, auth?: string, tenant?: string, clientId?: string,
 *   grantType?: string, scope?: string, fault?: string, error?: string,
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
  "virtualMachineImages.listSkus", // GET …/locations/{l}/publishers/{p}/artifacttypes/vmimage/offers/{o}/skus
  "virtualMachineImages.list", //    GET …/skus/{sku}/versions
  "virtualMachineImages.get", //     GET …/skus/{sku}/versions/{version}
  "virtualMachineSizes.list", //     GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/vmSizes
  "resourceSkus.list", //            GET /subscriptions/{s}/providers/Microsoft.Compute/skus
]);

const DEFAULT_AUDIENCES = ["https://management.azure.com", "https://management.core.windows.net"];
const SECRET_PARAMS = /^(client_secret|client_assertion|access_token|refresh_token|id_token|password|assertion|code|sig|signature)$/i;
const MAX_BODY = 1 << 20;

/** ARM is case-insensitive for names; regions also accept display names ("East US"). */
const norm = (/** @type {string} */ s) => s.toLowerCase();
const normLoc = (/** @type {string} */ s) => s.toLowerCase().replace(/\s+/g, "");

/** @param {string} a @param {string} b */
function compareVersions(a, b) {
  const pa = a.split("."), pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "", y = pb[i] ?? "";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN, ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

const b64url = (/** @type {unknown} */ o) => Buffer.from(JSON.stringify(o)).toString("base64url");

/** AAD error timestamp format: "2024-05-01 12:34:56Z". */
const aadTime = () => new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");

/**
 * @param {{ state: AzureState, tls: { cert: string | Buffer, key: string | Buffer }, host?: string,
 *           port?: number, log?: string, faults?: Record<string, AzureFault> }} options
 *   tls.cert/key: PEM text or a path to a PEM file; log: JSONL file to append to.
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
  const pem = (/** @type {string | Buffer} */ v) =>
    Buffer.isBuffer(v) || v.includes("-----BEGIN") ? v : readFileSync(v);

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
      iss, idp: iss, iat: now, nbf: now, exp: now + life,
      appid: o.clientId, appidacr: "1", oid, sub: oid, tid: o.tenantId,
      uti: randomBytes(12).toString("base64url"), ver: "1.0",
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
  function aadError(/** @type {import("node:http").ServerResponse} */ res, /** @type {number} */ status,
    /** @type {string} */ error, /** @type {number} */ aadsts, /** @type {string} */ text) {
    const traceId = randomUUID(), correlationId = randomUUID(), ts = aadTime();
    sendJson(res, status, {
      error,
      error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
      error_codes: [aadsts], timestamp: ts, trace_id: traceId, correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    });
  }

  const knownLocations = () => {
    const s = new Set((state.locations ?? []).map(normLoc));
    if (!state.locations) {
      for (const l of Object.keys(state.vmSizes ?? {})) s.add(normLoc(l));
      for (const i of state.images ?? []) s.add(normLoc(i.location));
      for (const sub of Object.values(state.subscriptions ?? {}))
        for (const rg of sub.resourceGroups ?? []) s.add(normLoc(rg.location));
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
        if (n > MAX_BODY) { fail(new Error("body too large")); req.destroy(); } else chunks.push(c);
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
      if (s.length === 4 && s[2] === "resourcegroups") return method === "HEAD" ? "resourceGroups.checkExistence" : method === "DELETE" ? "resourceGroups.delete" : "resourceGroups.get";
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
      if (fault.status) {
        const code = fault.code ?? "InjectedFault";
        const message = fault.message ?? `Injected fault on ${route}`;
        if (route === "token" || route === "openid-configuration" || route === "instance-discovery" || route === "jwks")
          return sendJson(res, fault.status, { error: code, error_description: message }, fault.headers);
        return armError(res, fault.status, code, message, fault.headers);
      }
    }

    if (!route) {
      entry.error = "no route";
      if (seg[0] && norm(seg[0]) === "subscriptions")
        return armError(res, 404, "MockRouteNotFound", `The Azure test server has no route for ${method} ${url.pathname}.`);
      return sendJson(res, 404, { error: "not_found", error_description: `The Azure test server has no route for ${method} ${url.pathname}.` });
    }

    if (route === "token") return tokenRoute(req, res, seg, entry);
    if (route === "openid-configuration") {
      if (method !== "GET") return sendJson(res, 405, { error: "invalid_request", error_description: "Method not allowed." });
      const t = seg[0];
      if (!state.tenants?.[t] && !["common", "organizations", "consumers"].includes(norm(t))) {
        entry.tenant = t;
        return aadError(res, 400, "invalid_tenant", 90002, `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
      }
      entry.tenant = t;
      const v2 = seg.length === 4;
      return sendJson(res, 200, v2 ? {
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
      } : {
        token_endpoint: `${origin}/${t}/oauth2/token`,
        jwks_uri: `${origin}/common/discovery/keys`,
        issuer: `https://sts.windows.net/${t}/`,
        authorization_endpoint: `${origin}/${t}/oauth2/authorize`,
        end_session_endpoint: `${origin}/${t}/oauth2/logout`,
      });
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
    const resource = v1 ? form.get("resource") ?? "" : "";
    const scope = v1 ? "" : form.get("scope") ?? "";
    entry.scope = v1 ? resource : scope;

    const tenant = state.tenants?.[tenantId];
    if (!tenant) return aadError(res, 400, "invalid_request", 90002, `Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
    if (entry.grantType !== "client_credentials")
      return aadError(res, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${entry.grantType}'.`);
    if (!clientId) return aadError(res, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    const client = tenant.clients.find((c) => c.clientId === clientId);
    if (!client) return aadError(res, 400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    if (!secret) return aadError(res, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    const a = Buffer.from(secret), b = Buffer.from(client.clientSecret);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      return aadError(res, 401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    if (client.secretExpired)
      return aadError(res, 401, "invalid_client", 7000222, `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);

    let audience;
    if (v1) {
      if (!resource) return aadError(res, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'resource'.");
      audience = resource;
    } else {
      const scopes = scope.split(/\s+/).filter(Boolean);
      const dflt = scopes.find((x) => x.endsWith("/.default"));
      if (!dflt) return aadError(res, 400, "invalid_scope", 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      audience = dflt.slice(0, -"/.default".length);
    }
    if (!audiences().has(audience))
      return aadError(res, 400, "invalid_resource", 500011, `The resource principal named ${audience} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);

    const life = state.tokenLifetimeSeconds ?? 3599;
    const token = mintToken({ tenantId, clientId, objectId: client.objectId, audience, lifetimeSeconds: life });
    if (v1) {
      const now = Math.floor(Date.now() / 1000);
      return sendJson(res, 200, {
        token_type: "Bearer", expires_in: String(life), ext_expires_in: String(life),
        expires_on: String(now + life), not_before: String(now), resource: audience, access_token: token,
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
  });

  /**
   * @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res
   * @param {string} route @param {string[]} seg @param {AzureRequestLogEntry} entry @param {URL} url @param {string} origin
   */
  async function armRoute(req, res, route, seg, entry, url, origin) {
    const method = req.method ?? "GET";
    if (method !== "GET" && !(method === "HEAD" && route === "resourceGroups.checkExistence") && !(method === "DELETE" && route === "resourceGroups.delete"))
      return armError(res, 405, "MethodNotAllowed", `The Azure test server does not model ${method} on ${route}.`);

    // 1. authentication (ARM checks the token before anything else)
    const challenge = (/** @type {string} */ d) => ({
      "www-authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${d}"`,
    });
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m) {
      entry.auth = "none";
      return armError(res, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
        challenge("The authentication failed because of missing 'Authorization' header."));
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
      return armError(res, 401, "ExpiredAuthenticationToken",
        `The access token expiry UTC time '${fmt(Number(claims.exp))}' is earlier than current UTC time '${fmt(now)}'.`,
        challenge("The access token expiry UTC time is earlier than current UTC time."));
    }
    if (!audiences().has(String(claims.aud))) {
      entry.auth = "wrong audience";
      return armError(res, 401, "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${claims.aud}'. It should exactly match with one of the allowed audiences ${[...audiences()].map((a) => `'${a}'`).join(",")}.`,
        challenge("The access token has been obtained from wrong audience or resource."));
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
      return armError(res, 401, "InvalidAuthenticationTokenTenant",
        `The access token is from the wrong issuer 'https://sts.windows.net/${claims.tid}/'. It must match the tenant 'https://sts.windows.net/${sub.tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${sub.tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
        challenge("The access token is from the wrong issuer."));
    }
    if (sub.authorizedClients && !sub.authorizedClients.includes(String(claims.appid))) {
      const scopePath = "/" + seg.join("/");
      return armError(res, 403, "AuthorizationFailed",
        `The client '${claims.appid}' with object id '${claims.oid}' does not have authorization to perform action '${ACTIONS[route]}' over scope '${scopePath}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
    }

    // 4. the resource itself
    if (route === "subscriptions.get") {
      return sendJson(res, 200, {
        id: `/subscriptions/${subId}`, authorizationSource: "RoleBased", subscriptionId: subId,
        tenantId: sub.tenantId ?? String(claims.tid), displayName: sub.displayName ?? subId, state: "Enabled",
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
          id: `/subscriptions/${subId}/resourceGroups/${g.name}`, name: g.name, type: "Microsoft.Resources/resourceGroups",
          location: normLoc(g.location), ...(g.tags ? { tags: g.tags } : {}), properties: { provisioningState: "Succeeded" },
        })),
      });
    }
    if (route === "resourceGroups.delete") {
      const groups = sub.resourceGroups ?? [];
      const i = groups.findIndex((g) => norm(g.name) === norm(seg[3]));
      if (i === -1) return armError(res, 404, "ResourceGroupNotFound", `Resource group '${seg[3]}' could not be found.`);
      groups.splice(i, 1);
      // ARM answers 202 with a Location to poll; the group is gone here at once.
      res.writeHead(202, { "x-ms-request-id": randomUUID(), "content-length": "0" });
      return void res.end();
    }
    if (route === "resourceGroups.get" || route === "resourceGroups.checkExistence") {
      const rg = (sub.resourceGroups ?? []).find((g) => norm(g.name) === norm(seg[3]));
      if (route === "resourceGroups.checkExistence") {
        res.writeHead(rg ? 204 : 404, { "x-ms-request-id": randomUUID() });
        return void res.end();
      }
      if (!rg) return armError(res, 404, "ResourceGroupNotFound", `Resource group '${seg[3]}' could not be found.`);
      return sendJson(res, 200, {
        id: `/subscriptions/${subId}/resourceGroups/${rg.name}`, name: rg.name, type: "Microsoft.Resources/resourceGroups",
        location: normLoc(rg.location), ...(rg.tags ? { tags: rg.tags } : {}), properties: { provisioningState: "Succeeded" },
      });
    }

    const apiVersion = url.searchParams.get("api-version") ?? "";
    const locations = knownLocations();
    if (route === "resourceSkus.list") return resourceSkus(res, subId, url, origin, locations);

    // location-scoped Microsoft.Compute routes
    const loc = normLoc(seg[5]);
    if (!locations.has(loc)) {
      const type = route === "virtualMachineSizes.list" ? "locations/vmSizes" : "locations/publishers";
      return armError(res, 400, "NoRegisteredProviderFound",
        `No registered resource provider found for location '${seg[5]}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${apiVersion}'. The supported locations are '${[...locations].join(", ")}'.`);
    }
    if (route === "virtualMachineSizes.list") {
      const sizes = Object.entries(state.vmSizes ?? {}).filter(([l]) => normLoc(l) === loc).flatMap(([, v]) => v);
      return sendJson(res, 200, {
        value: sizes.map((s) => ({
          name: s.name, numberOfCores: s.numberOfCores, osDiskSizeInMB: s.osDiskSizeInMB ?? 1047552,
          resourceDiskSizeInMB: s.resourceDiskSizeInMB ?? 0, memoryInMB: s.memoryInMB, maxDataDiskCount: s.maxDataDiskCount ?? 4,
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
      return sendJson(res, 200, inOffer.map((i) => ({
        location: loc, name: i.sku, id: idBase(i), properties: { automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false } },
      })));
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
      return sendJson(res, 200, versions.map((v) => ({
        location: loc, name: v, id: `${idBase(img)}/Versions/${v}`, ...(expand ? { properties: imageProperties(img) } : {}),
      })));
    }
    // virtualMachineImages.get
    const version = seg[15];
    if (norm(version) === "latest") return armError(res, 400, "InvalidParameter", "The value of parameter version is invalid.", {}, "version");
    const v2 = img.versions.find((x) => norm(x) === norm(version));
    if (!v2) return notFound();
    return sendJson(res, 200, { location: loc, name: v2, id: `${idBase(img)}/Versions/${v2}`, properties: imageProperties(img) });
  }

  /** @param {AzureImage} img */
  function imageProperties(img) {
    return {
      hyperVGeneration: img.hyperVGeneration ?? "V2", architecture: img.architecture ?? "x64",
      osImage: { operatingSystem: "Linux", sizeInGb: 30 }, dataDiskImages: [],
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
      const sizes = Object.entries(state.vmSizes ?? {}).filter(([l]) => normLoc(l) === loc).flatMap(([, v]) => v);
      for (const s of sizes) {
        const size = s.name.replace(/^(Standard|Basic)_/, "");
        all.push({
          resourceType: "virtualMachines", name: s.name, tier: s.name.split("_")[0], size,
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
          restrictions: s.restricted
            ? [{ type: "Location", values: [loc], restrictionInfo: { locations: [loc] }, reasonCode: s.restricted }]
            : [],
        });
      }
      // Real listings mix resource types; consumers must filter on resourceType.
      all.push({ resourceType: "disks", name: "Premium_LRS", tier: "Premium", size: "P1", family: "PremiumSSD", locations: [loc], locationInfo: [{ location: loc, zones: [], zoneDetails: [] }], capabilities: [], restrictions: [] });
      all.push({ resourceType: "availabilitySets", name: "Aligned", locations: [loc], locationInfo: [{ location: loc, zones: [], zoneDetails: [] }], capabilities: [{ name: "MaximumPlatformFaultDomainCount", value: "3" }], restrictions: [] });
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
    server.listen(options.port ?? 0, host, () => {
      server.off("error", fail);
      ok(undefined);
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `https://${urlHost}:${port}`,
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
