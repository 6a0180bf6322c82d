/**
 * The loopback Azure test server (test/support/azure/) against the REAL SDKs that preflight will use:
 * @azure/identity ClientSecretCredential and @azure/arm-compute ComputeManagementClient, trusting a
 * throwaway CA in-process via `tlsOptions.ca` (see test/support/azure/SPEC.md).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import { ComputeManagementClient, type ResourceSku } from "@azure/arm-compute";
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCa, type TestCaPaths } from "../support/azure/ca.mjs";
import { startAzureServer, type AzureServer, type AzureState } from "../support/azure/server.mjs";

const SUPPORT = fileURLToPath(new URL("../support/azure/", import.meta.url));
const TENANT = "7a1b2c3d-0000-4000-8000-00000000aaaa";
const CLIENT = "0c1d2e3f-0000-4000-8000-00000000bbbb";
const SECRET = "CANARY-azure-secret-5d1e9f";
const SUB = "11111111-2222-4333-8444-555555555555";
const LOC = "eastus";
const IMG = { publisher: "Debian", offer: "debian-12", sku: "12-gen2" };

const state = (): AzureState => ({
  tenants: {
    [TENANT]: {
      clients: [
        { clientId: CLIENT, clientSecret: SECRET },
        { clientId: "other-app", clientSecret: "other-secret" },
      ],
    },
  },
  subscriptions: { [SUB]: { tenantId: TENANT, authorizedClients: [CLIENT], resourceGroups: [{ name: "arvados-images", location: "East US" }] } },
  images: [
    { location: LOC, ...IMG, versions: ["0.20250105.1980", "0.20241201.1950", "0.20250210.2020"] },
    { location: LOC, publisher: "Debian", offer: "debian-12", sku: "12-arm64", versions: [] },
  ],
  vmSizes: {
    [LOC]: [
      { name: "Standard_D2s_v3", numberOfCores: 2, memoryInMB: 8192 },
      { name: "Standard_NC6s_v3", numberOfCores: 6, memoryInMB: 114688, restricted: "NotAvailableForSubscription" },
    ],
    westeurope: [{ name: "Standard_D4s_v3", numberOfCores: 4, memoryInMB: 16384 }],
  },
});

let dir: string;
let ca: TestCaPaths;
let caPem: string;
let srv: AzureServer;
const logFile = () => join(dir, "requests.jsonl");

/** The recipe preflight will use: authorityHost + disableInstanceDiscovery, and the test CA added to the public roots. */
const tlsOptions = () => ({ ca: [...rootCertificates, caPem] });
const credential = (secret = SECRET, clientId = CLIENT) =>
  new ClientSecretCredential(TENANT, clientId, secret, { authorityHost: srv.url, disableInstanceDiscovery: true, tlsOptions: tlsOptions() });
const compute = (cred = credential()) => new ComputeManagementClient(cred, SUB, { endpoint: srv.url, tlsOptions: tlsOptions(), retryOptions: { maxRetries: 0 } });

/** Raw ARM GET through the client's own pipeline (bearer policy, TLS settings): what preflight does for resource groups. */
async function armGet(client: ComputeManagementClient, path: string, method: "GET" | "HEAD" = "GET"): Promise<PipelineResponse> {
  return client.pipeline.sendRequest(createDefaultHttpClient(), createPipelineRequest({ url: `${srv.url}${path}`, method }));
}

/** Plain https request, no SDK: for what the SDK never sends (no Authorization header, foreign tokens). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = httpsRequest(`${srv.url}${path}`, { ca: caPem, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-azure-"));
  ca = await makeTestCa(join(dir, "ca"), { dnsNames: ["management.azure.com", "login.microsoftonline.com"] });
  caPem = readFileSync(ca.caCert, "utf8");
  writeFileSync(join(dir, "state.json"), JSON.stringify(state()));
  srv = await startAzureServer({ state: state(), tls: { cert: ca.cert, key: ca.key }, log: logFile() });
});

afterAll(async () => {
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("login (ClientSecretCredential)", () => {
  it("issues a JWT-shaped token after fetching the tenant's OpenID configuration", async () => {
    srv.requests.length = 0;
    const t = await credential().getToken("https://management.azure.com/.default");
    const [, payload] = t.token.split(".");
    expect(t.token.split(".")).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
    expect(claims).toMatchObject({ tid: TENANT, appid: CLIENT, aud: "https://management.azure.com" });
    expect(t.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    expect(srv.requests.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual(["GET openid-configuration 200", "POST token 200"]);
    expect(srv.requests[1]).toMatchObject({ grantType: "client_credentials", scope: "https://management.azure.com/.default", clientId: CLIENT });
  });

  it("fails recognisably on a wrong secret (AADSTS7000215)", async () => {
    const e = await credential("wrong-secret")
      .getToken("https://management.azure.com/.default")
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^invalid_client: .*AADSTS7000215: Invalid client secret provided/);
  });

  it("rejects a scope whose resource is not ARM's (e.g. one derived from an overridden endpoint)", async () => {
    const e = await credential()
      .getToken(`${srv.url}/.default`)
      .catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/invalid_resource: .*AADSTS500011/);
  });
});

describe("ARM (ComputeManagementClient)", () => {
  it("resource group: present, absent, HEAD — via the client's pipeline", async () => {
    const client = compute();
    const rg = `/subscriptions/${SUB}/resourcegroups`;
    const hit = await armGet(client, `${rg}/Arvados-Images?api-version=2021-04-01`);
    expect(hit.status).toBe(200);
    expect(JSON.parse(hit.bodyAsText!)).toMatchObject({ name: "arvados-images", location: "eastus", properties: { provisioningState: "Succeeded" } });
    const miss = await armGet(client, `${rg}/nope?api-version=2021-04-01`);
    expect(miss.status).toBe(404);
    expect(JSON.parse(miss.bodyAsText!).error.code).toBe("ResourceGroupNotFound");
    expect((await armGet(client, `${rg}/arvados-images?api-version=2021-04-01`, "HEAD")).status).toBe(204);
    expect((await armGet(client, `${rg}/nope?api-version=2021-04-01`, "HEAD")).status).toBe(404);
    const noVersion = await armGet(client, `${rg}/arvados-images`);
    expect(JSON.parse(noVersion.bodyAsText!).error.code).toBe("MissingApiVersionParameter");
  });

  it("image SKU: versions listed, empty SKU, absent SKU is a 404 NotFound", async () => {
    const client = compute();
    const versions = await client.virtualMachineImages.list(LOC, IMG.publisher, IMG.offer, IMG.sku);
    expect(versions.map((v) => v.name)).toEqual(["0.20241201.1950", "0.20250105.1980", "0.20250210.2020"]);
    const latest = await client.virtualMachineImages.list(LOC, "debian", "DEBIAN-12", IMG.sku, { top: 1, orderby: "name desc" });
    expect(latest.map((v) => v.name)).toEqual(["0.20250210.2020"]);
    expect(await client.virtualMachineImages.list(LOC, IMG.publisher, IMG.offer, "12-arm64")).toEqual([]);
    const e = await client.virtualMachineImages.list(LOC, IMG.publisher, IMG.offer, "11-gen2").catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "RestError", statusCode: 404, code: "NotFound" });
    const wrongRegion = await client.virtualMachineImages.list("westeurope", IMG.publisher, IMG.offer, IMG.sku).catch((x: unknown) => x);
    expect(wrongRegion).toMatchObject({ statusCode: 404, code: "NotFound" });
  });

  it("VM size: offered, not offered, restricted for the subscription", async () => {
    const client = compute();
    const sizes: string[] = [];
    for await (const s of client.virtualMachineSizes.list(LOC)) sizes.push(s.name!);
    expect(sizes).toEqual(["Standard_D2s_v3", "Standard_NC6s_v3"]);
    const skus: ResourceSku[] = [];
    for await (const s of client.resourceSkus.list({ filter: `location eq '${LOC}'` })) skus.push(s);
    const vm = (name: string) => skus.find((s) => s.resourceType === "virtualMachines" && s.name === name);
    expect(vm("Standard_D2s_v3")).toMatchObject({ locations: [LOC], restrictions: [] });
    expect(vm("Standard_NC6s_v3")?.restrictions?.[0]).toMatchObject({ type: "Location", reasonCode: "NotAvailableForSubscription" });
    expect(vm("Standard_D4s_v3")).toBeUndefined(); // only in westeurope
    const e = await (async () => {
      for await (const _ of client.virtualMachineSizes.list("atlantis")) void _;
    })().catch((x: unknown) => x);
    expect(e).toMatchObject({ statusCode: 400, code: "NoRegisteredProviderFound" });
  });

  it("resource SKUs follow nextLink when the server pages", async () => {
    srv.state.resourceSkusPageSize = 2;
    try {
      const names: string[] = [];
      for await (const s of compute().resourceSkus.list()) names.push(`${s.locations?.[0]}/${s.resourceType}/${s.name}`);
      expect(names).toContain("westeurope/virtualMachines/Standard_D4s_v3");
      expect(names).toHaveLength(7); // 2 + 1 VM sizes, plus a disks and an availabilitySets entry per region
      expect(
        srv.requests
          .filter((r) => r.route === "resourceSkus.list")
          .slice(-4)
          .map((r) => r.query.$skiptoken ?? "-"),
      ).toEqual(["-", "2", "4", "6"]);
    } finally {
      delete srv.state.resourceSkusPageSize;
    }
  });

  it("authentication and authorization errors look like ARM's", async () => {
    const path = `/subscriptions/${SUB}/resourcegroups/arvados-images?api-version=2021-04-01`;
    const none = await rawGet(path);
    expect([none.status, JSON.parse(none.body).error.code]).toEqual([401, "AuthenticationFailed"]);
    const forged = await rawGet(path, { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.x" });
    expect([forged.status, JSON.parse(forged.body).error.code]).toEqual([401, "InvalidAuthenticationToken"]);
    const expired = srv.mintToken({ tenantId: TENANT, clientId: CLIENT, lifetimeSeconds: -10 });
    const old = await rawGet(path, { authorization: `Bearer ${expired}` });
    expect([old.status, JSON.parse(old.body).error.code]).toEqual([401, "ExpiredAuthenticationToken"]);

    const stranger = await armGet(compute(credential("other-secret", "other-app")), path);
    expect([stranger.status, JSON.parse(stranger.bodyAsText!).error.code]).toEqual([403, "AuthorizationFailed"]);
    const e = await new ComputeManagementClient(credential(), "99999999-0000-4000-8000-000000000000", {
      endpoint: srv.url,
      tlsOptions: tlsOptions(),
      retryOptions: { maxRetries: 0 },
    }).virtualMachineImages
      .list(LOC, IMG.publisher, IMG.offer, IMG.sku)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ statusCode: 404, code: "SubscriptionNotFound" });
  });

  it("injected faults: an error status, and a delay cut short by the caller's abort signal", async () => {
    const client = compute();
    srv.faults["virtualMachineImages.list"] = { status: 429, code: "TooManyRequests", message: "slow down", times: 1 };
    const e = await client.virtualMachineImages.list(LOC, IMG.publisher, IMG.offer, IMG.sku).catch((x: unknown) => x);
    expect(e).toMatchObject({ statusCode: 429, code: "TooManyRequests" });
    expect(await client.virtualMachineImages.list(LOC, IMG.publisher, IMG.offer, IMG.sku)).toHaveLength(3); // times: 1 used up

    srv.faults["virtualMachineSizes.list"] = { delayMs: 3000 };
    try {
      const aborted = await (async () => {
        for await (const _ of client.virtualMachineSizes.list(LOC, { abortSignal: AbortSignal.timeout(200) })) void _;
      })().catch((x: unknown) => x);
      expect(aborted).toMatchObject({ name: "AbortError" });
      await expect.poll(() => srv.requests.findLast((r) => r.route === "virtualMachineSizes.list")?.status).toBeNull();
    } finally {
      delete srv.faults["virtualMachineSizes.list"];
    }
  });
});

describe("test server itself", () => {
  it("never logs the client secret, tokens or Authorization headers", async () => {
    const token = (await credential().getToken("https://management.azure.com/.default")).token;
    await credential("wrong-" + SECRET)
      .getToken("https://management.azure.com/.default")
      .catch(() => undefined);
    const log = readFileSync(logFile(), "utf8");
    const lines = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { route: string });
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.length).toBe(srv.requests.length);
    for (const needle of [SECRET, token, token.split(".")[2]!, "Bearer", "client_secret", "authorization"]) {
      expect(log).not.toContain(needle);
      expect(JSON.stringify(srv.requests)).not.toContain(needle);
    }
  });

  it("a hung request does not stop close()", async () => {
    const s2 = await startAzureServer({ state: state(), tls: { cert: ca.cert, key: ca.key }, faults: { "openid-configuration": { hang: true } } });
    // ClientSecretCredential has no working per-call timeout (getToken ignores abortSignal): bound it yourself.
    const cred = new ClientSecretCredential(TENANT, CLIENT, SECRET, { authorityHost: s2.url, disableInstanceDiscovery: true, tlsOptions: tlsOptions() });
    const outcome = Promise.race([
      cred.getToken("https://management.azure.com/.default").then(
        () => "token",
        () => "error",
      ),
      new Promise((ok) => setTimeout(() => ok("timed out"), 300)),
    ]);
    await expect.poll(() => s2.pending()).toBe(1);
    expect(await outcome).toBe("timed out");
    // close() resolving at all is the point: the hung request must not hold it.
    await s2.close();
    expect(s2.requests.map((r) => `${r.route} ${r.status}`)).toContain("openid-configuration null");
  });

  it("the other trust route: a child process with NODE_EXTRA_CA_CERTS set at start (probe.mjs)", async () => {
    const input = {
      tenantId: TENANT,
      clientId: CLIENT,
      subscriptionId: SUB,
      endpoint: srv.url,
      authorityHost: srv.url,
      resourceGroup: "arvados-images",
      location: LOC,
      image: IMG,
      vmSize: "Standard_NC6s_v3",
    };
    const out = await new Promise<string>((ok, fail) => {
      const child = spawn(process.execPath, [join(SUPPORT, "probe.mjs"), JSON.stringify(input)], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.caCert, AZURE_CLIENT_SECRET: SECRET },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let s = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (s += d));
      child.on("error", fail);
      child.on("close", () => ok(s));
    });
    expect(JSON.parse(out)).toEqual({
      token: { ok: true, jwtShaped: true },
      resourceGroup: { status: 200, location: "eastus" },
      image: { versions: ["0.20241201.1950", "0.20250105.1980", "0.20250210.2020"] },
      vmSize: { offered: true, inSkus: true, restrictions: ["NotAvailableForSubscription"] },
    });
  });

  it("standalone mode prints its port and serves the same routes", async () => {
    const child = spawn(process.execPath, [join(SUPPORT, "server.mjs"), "--port", "0", "--state", join(dir, "state.json"), "--cert", ca.cert, "--key", ca.key], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const line = await new Promise<string>((ok, fail) => {
        let out = "";
        let err = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          if (out.includes("\n")) ok(out.split("\n")[0]!);
        });
        child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
        child.on("exit", (code) => fail(new Error(`server exited ${code}: ${err}`)));
      });
      const { port } = JSON.parse(line) as { port: number };
      expect(port).toBeGreaterThan(0);
      const res = await new Promise<number>((ok, fail) => {
        const req = httpsRequest(`https://127.0.0.1:${port}/${TENANT}/v2.0/.well-known/openid-configuration`, { ca: caPem }, (r) => {
          r.resume();
          ok(r.statusCode ?? 0);
        });
        req.on("error", fail);
        req.end();
      });
      expect(res).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("writes: what Packer's azure-arm does, and gallery image versions, through the real SDK's long-running operations", () => {
  const RG = "pkr-Resource-Group-loop";
  const fast = { updateIntervalInMs: 0 };
  /** A raw ARM write through the client's pipeline (bearer policy, TLS): what the SDK has no method for. */
  const armSend = (client: ComputeManagementClient, method: "PUT" | "POST" | "DELETE" | "GET" | "PATCH", path: string, body?: unknown) =>
    client.pipeline.sendRequest(
      createDefaultHttpClient(),
      createPipelineRequest({
        url: `${srv.url}${path}`,
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headers: createHttpHeaders({ "content-type": "application/json" }),
      }),
    );
  const rgPath = `/subscriptions/${SUB}/resourcegroups/${RG}`;
  const template = {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { vmName: { type: "string" }, adminUsername: { type: "string" }, adminPassword: { type: "string" }, keyData: { type: "string" } },
    variables: { location: "[resourceGroup().location]", ipName: "[concat('pkrip', parameters('vmName'))]" },
    resources: [
      {
        type: "Microsoft.Network/publicIPAddresses",
        apiVersion: "2018-01-01",
        name: "[variables('ipName')]",
        location: "[variables('location')]",
        properties: { publicIPAllocationMethod: "Dynamic" },
      },
      {
        type: "Microsoft.Compute/virtualMachines",
        apiVersion: "2018-04-01",
        name: "[parameters('vmName')]",
        location: "[variables('location')]",
        properties: {
          hardwareProfile: { vmSize: "Standard_D2s_v3" },
          osProfile: {
            computerName: "[parameters('vmName')]",
            adminUsername: "[parameters('adminUsername')]",
            adminPassword: "[parameters('adminPassword')]",
            linuxConfiguration: { ssh: { publicKeys: [{ path: "[concat('/home/', parameters('adminUsername'), '/.ssh/authorized_keys')]", keyData: "[parameters('keyData')]" }] } },
          },
          storageProfile: {
            imageReference: { ...IMG, version: "latest" },
            osDisk: { name: "[concat('pkros', parameters('vmName'))]", createOption: "FromImage", managedDisk: { storageAccountType: "Standard_LRS" } },
          },
          networkProfile: { networkInterfaces: [{ id: "[resourceId('Microsoft.Network/networkInterfaces', 'nic')]" }] },
        },
      },
    ],
  };

  it("a deployment creates its template's resources; the VM is deallocated, generalized and captured as a managed image; deleting the group removes the rest", async () => {
    const client = compute();
    expect((await armSend(client, "PUT", `${rgPath}?api-version=2018-02-01`, { location: "eastus", tags: { "arv-image-build-id": "b1" } })).status).toBe(201);
    const dep = `${rgPath}/providers/Microsoft.Resources/deployments/pkrdp1?api-version=2018-02-01`;
    const parameters = {
      vmName: { value: "pkrvm1" },
      adminUsername: { value: "packer" },
      adminPassword: { value: "CANARY-vm-password" },
      keyData: { value: "ssh-rsa AAAAB3Nza packer" },
    };
    const validated = await armSend(client, "POST", dep.replace("?", "/validate?"), { properties: { mode: "Incremental", template, parameters } });
    expect(validated.status).toBe(200);
    const put = await armSend(client, "PUT", dep, { properties: { mode: "Incremental", template, parameters } });
    expect(put.status).toBe(201);
    const ao = put.headers.get("azure-asyncoperation")!;
    expect(put.headers.get("retry-after")).toBe("0");
    // The operation answers InProgress once (operationPolls: 1), then Succeeded.
    expect(JSON.parse((await armSend(client, "GET", new URL(ao).pathname + new URL(ao).search)).bodyAsText!).status).toBe("InProgress");
    expect(JSON.parse((await armSend(client, "GET", new URL(ao).pathname + new URL(ao).search)).bodyAsText!).status).toBe("Succeeded");

    const group = srv.state.subscriptions[SUB]!.resourceGroups!.find((g) => g.name === RG)!;
    expect(group.tags).toEqual({ "arv-image-build-id": "b1" });
    expect(group.resources!.map((r) => `${r.type}/${r.name}`).sort()).toEqual([
      "Microsoft.Compute/disks/pkrospkrvm1",
      "Microsoft.Compute/virtualMachines/pkrvm1",
      "Microsoft.Network/publicIPAddresses/pkrippkrvm1",
      "Microsoft.Resources/deployments/pkrdp1",
    ]);
    const ip = JSON.parse(
      (await armSend(client, "GET", `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/pkrippkrvm1?api-version=2018-01-01`)).bodyAsText!,
    );
    expect(ip.properties.ipAddress).toBe("127.0.0.1");
    const vm = await client.virtualMachines.get(RG, "pkrvm1");
    expect(vm.storageProfile?.osDisk?.managedDisk?.id).toMatch(/\/providers\/Microsoft\.Compute\/disks\/pkrospkrvm1$/);
    expect(vm.osProfile?.linuxConfiguration?.ssh?.publicKeys?.[0]?.keyData).toBe("ssh-rsa AAAAB3Nza packer");
    expect(JSON.stringify(srv.state) + readFileSync(logFile(), "utf8")).not.toContain("CANARY-vm-password");

    // Capture: a running VM cannot be generalized, an ungeneralized one cannot be captured.
    const image = { location: "eastus", sourceVirtualMachine: { id: vm.id! } };
    expect(await client.virtualMachines.generalize(RG, "pkrvm1").catch((e: unknown) => e)).toMatchObject({ statusCode: 409, code: "OperationNotAllowed" });
    await client.virtualMachines.deallocate(RG, "pkrvm1", fast);
    expect(await client.images.createOrUpdate("arvados-images", "img-1", image, fast).catch((e: unknown) => e)).toMatchObject({ statusCode: 409, code: "OperationNotAllowed" });
    await client.virtualMachines.generalize(RG, "pkrvm1");
    const made = await client.images.createOrUpdate("arvados-images", "img-1", image, fast);
    expect(made).toMatchObject({ name: "img-1", provisioningState: "Succeeded", storageProfile: { osDisk: { osType: "Linux", osState: "Generalized" } } });
    expect((await client.images.get("arvados-images", "img-1")).id).toBe(`/subscriptions/${SUB}/resourceGroups/arvados-images/providers/Microsoft.Compute/images/img-1`);

    // Cleanup as Packer does it: the deployment object, then the group (202 + Location, polled).
    expect((await armSend(client, "DELETE", dep)).status).toBe(202);
    const del = await armSend(client, "DELETE", `${rgPath}?api-version=2018-02-01`);
    expect(del.status).toBe(202);
    const loc = new URL(del.headers.get("location")!);
    expect(srv.state.subscriptions[SUB]!.resourceGroups!.map((g) => g.name)).toEqual(["arvados-images"]);
    expect((await armSend(client, "GET", loc.pathname + loc.search)).status).toBe(202);
    expect((await armSend(client, "GET", loc.pathname + loc.search)).status).toBe(200);
    const missing = await client.images.get(RG, "img-1").catch((e: unknown) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: "ResourceGroupNotFound" });
  });

  it("gallery image versions: PUT (long-running), GET, DELETE; a parent that does not exist; a version that fails asynchronously", async () => {
    const client = compute();
    const RGI = "arvados-images";
    const source = `/subscriptions/${SUB}/resourceGroups/${RGI}/providers/Microsoft.Compute/images/img-1`;
    const orphan = await client.galleryImageVersions
      .createOrUpdate(RGI, "nogallery", "def", "1.0.0", { location: "eastus", storageProfile: { source: { id: source } } }, fast)
      .catch((e: unknown) => e);
    expect(orphan).toMatchObject({ statusCode: 404, code: "ParentResourceNotFound" });
    await client.galleries.createOrUpdate(RGI, "arvgallery", { location: "eastus" }, fast);
    await client.galleryImages.createOrUpdate(
      RGI,
      "arvgallery",
      "compute",
      { location: "eastus", osType: "Linux", osState: "Generalized", hyperVGeneration: "V2", identifier: { publisher: "arvados", offer: "compute", sku: "debian-12" } },
      fast,
    );
    const v = await client.galleryImageVersions.createOrUpdate(
      RGI,
      "arvgallery",
      "compute",
      "1.0.0",
      { location: "eastus", storageProfile: { source: { id: source } }, publishingProfile: { targetRegions: [{ name: "eastus" }, { name: "westeurope" }] } },
      fast,
    );
    expect(v).toMatchObject({ name: "1.0.0", provisioningState: "Succeeded" });
    expect((await client.galleryImageVersions.get(RGI, "arvgallery", "compute", "1.0.0")).id).toBe(
      `/subscriptions/${SUB}/resourceGroups/${RGI}/providers/Microsoft.Compute/galleries/arvgallery/images/compute/versions/1.0.0`,
    );

    srv.faults["galleryImageVersions.createOrUpdate"] = { async: true, status: 409, code: "OperationNotAllowed", message: "Replication quota exceeded (test)", times: 1 };
    const refused = await client.galleryImageVersions
      .createOrUpdate(RGI, "arvgallery", "compute", "1.0.1", { location: "eastus", storageProfile: { source: { id: source } } }, fast)
      .catch((e: unknown) => e);
    expect(String((refused as Error).message)).toContain("Replication quota exceeded (test)");
    expect(await client.galleryImageVersions.get(RGI, "arvgallery", "compute", "1.0.1").catch((e: unknown) => e)).toMatchObject({ statusCode: 404 });

    await client.galleryImageVersions.delete(RGI, "arvgallery", "compute", "1.0.0", fast);
    expect(await client.galleryImageVersions.get(RGI, "arvgallery", "compute", "1.0.0").catch((e: unknown) => e)).toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });

  it("tagged resources: listed across groups by tag (nested ones named g/i/v); tags read and replaced at a resource's scope", async () => {
    const client = compute();
    const RGI = "arvados-images";
    const source =
      (await client.images.createOrUpdate(RGI, "tagged-src", { location: "eastus", storageProfile: { osDisk: { osType: "Linux", osState: "Generalized" } } }, fast)).id ?? "";
    const tags = { "arv-image-build-id": "arvimg-t", "arv-image-expires": "2026-01-01T00:00:00Z", keep: "yes" };
    await client.galleries.createOrUpdate(RGI, "taggallery", { location: "eastus" }, fast);
    await client.galleryImages.createOrUpdate(
      RGI,
      "taggallery",
      "compute",
      { location: "eastus", osType: "Linux", osState: "Generalized", identifier: { publisher: "a", offer: "b", sku: "c" } },
      fast,
    );
    const v = await client.galleryImageVersions.createOrUpdate(
      RGI,
      "taggallery",
      "compute",
      "2026.101.1",
      { location: "eastus", tags, storageProfile: { source: { id: source } } },
      fast,
    );
    const filter = encodeURIComponent("tagName eq 'arv-image-build-id'");
    const list = await armSend(client, "GET", `/subscriptions/${SUB}/resources?api-version=2021-04-01&$filter=${filter}`);
    expect(list.status).toBe(200);
    const listed = (JSON.parse(list.bodyAsText ?? "{}") as { value: { id: string; name: string; type: string; tags?: object }[] }).value;
    expect(listed).toContainEqual({ id: v.id, name: "taggallery/compute/2026.101.1", type: "Microsoft.Compute/galleries/images/versions", location: "eastus", tags });
    expect(listed.every((r) => r.tags !== undefined && "arv-image-build-id" in r.tags)).toBe(true);

    const scope = `${v.id ?? ""}/providers/Microsoft.Resources/tags/default?api-version=2021-04-01`;
    expect(JSON.parse((await armSend(client, "GET", scope)).bodyAsText ?? "{}")).toMatchObject({ name: "default", properties: { tags } });
    const replaced = await armSend(client, "PATCH", scope, { operation: "Replace", properties: { tags: { "arv-image-build-id": "arvimg-t", keep: "yes" } } });
    expect(replaced.status).toBe(200);
    expect((await client.galleryImageVersions.get(RGI, "taggallery", "compute", "2026.101.1")).tags).toEqual({ "arv-image-build-id": "arvimg-t", keep: "yes" });
    // Delete removes only tags whose value matches too.
    await armSend(client, "PATCH", scope, { operation: "Delete", properties: { tags: { keep: "no", "arv-image-build-id": "arvimg-t" } } });
    expect((await client.galleryImageVersions.get(RGI, "taggallery", "compute", "2026.101.1")).tags).toEqual({ keep: "yes" });
    const missing = await armSend(
      client,
      "GET",
      `/subscriptions/${SUB}/resourceGroups/${RGI}/providers/Microsoft.Compute/images/nope/providers/Microsoft.Resources/tags/default?api-version=2021-04-01`,
    );
    expect(missing.status).toBe(404);
  });
});
