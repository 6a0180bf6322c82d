/**
 * End-to-end tier 3: `arv-image build --cloud azure` with real Packer 1.6.6 (azure-arm) against
 * the loopback Entra ID + Resource Manager server (test/support/azure), the e2e SSH target
 * (test/support/target.ts) standing in for the builder VM.
 *
 * Packer 1.6.6's azure-arm has no endpoint setting (cloud_environment_name takes named clouds
 * only), so arv-image and Packer run in a private network + mount namespace
 * (test/support/netns-relay.mjs) where:
 * - /etc/hosts (bind-mounted) sends management.azure.com and login.microsoftonline.com to
 *   127.0.0.1, whose port 443 relays to the Azure server listening on a Unix socket in this
 *   process; its certificate comes from a throwaway CA given as SSL_CERT_FILE (Packer, Go) and
 *   NODE_EXTRA_CA_CERTS (arv-image's preflight, Node);
 * - the public IP the server gives the VM (127.0.0.22) relays port 22 to the target;
 * - nothing else exists: any other host Packer or an SDK might try (IMDS, real Azure) fails there.
 * The target stays in the host's network (apt reaches the Debian mirror and the e2e mirror).
 * When the server takes the deployment, it hands the VM's admin user and SSH key to this test,
 * which puts them on the target as Azure's provisioning agent would.
 *
 * Needs root, unshare, ip, openssl, packer and debootstrap or a cached rootfs; skipped with a
 * warning otherwise, a failure under ARV_IMAGE_E2E_REQUIRE=1 (CI).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedMirror } from "../../scripts/e2e/apt-repo.mjs";
import { ensureRootfs, rootfsPath } from "../../scripts/e2e/rootfs.mjs";
import { makeTestCa } from "../support/azure/ca.mjs";
import { armResourceId, startAzureServer, type AzureDeploymentEvent, type AzureResource, type AzureServer } from "../support/azure/server.mjs";
import { BIN, EXAMPLE_KEY, interruptReports, REPO } from "../support/cli.js";
import { mirrorArgs, startMirror } from "../support/mirror/server.mjs";
import { startTarget, type Target } from "../support/target.js";

const have = (cmd: string, args = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const missing: string[] = [];
if (process.getuid?.() !== 0) missing.push("root");
if (!have("unshare", ["--net", "--mount", "--pid", "--fork", "true"])) missing.push("unshare --net --mount --pid");
if (!have("ip", ["-V"])) missing.push("ip (iproute2)");
if (!have("openssl", ["version"])) missing.push("openssl");
if (!existsSync(rootfsPath()) && !have("debootstrap", ["--version"])) missing.push("debootstrap or a cached rootfs");
if (!have("packer", ["version"])) missing.push("packer");
const SKIP = missing.length > 0;
if (SKIP) {
  const message = `test/e2e/azure.test.ts: needs ${missing.join(", ")}`;
  if (process.env.ARV_IMAGE_E2E_REQUIRE) throw new Error(message);
  console.warn(`${message}; skipped`);
}

const TENANT = "00000000-0000-4000-8000-00000000e2e1";
const CLIENT = "00000000-0000-4000-8000-00000000e2e2";
const SUB = "00000000-0000-4000-8000-00000000e2e3";
const SECRET = "tier3-canary-client-secret-7f3a9c";
const VM_IP = "127.0.0.22";
const RESOLVER = "10.9.8.7";

let tmp: string;
let azure: AzureServer;
let target: Target;
let mirror: { url: string; close(): Promise<void> };
let sshRelay: Server;
let ca: string;
let secrets: string;
/** The deployments the server took, as the hook saw them, with their resource group's tags. */
const deployments: (AzureDeploymentEvent & { groupTags: Record<string, string> })[] = [];

/** Command lines (all of this machine's processes, read while Packer runs) that hold the client secret. */
const argvWithSecret: string[] = [];
let sawPackerBuild = false;
function cwdOf(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return "";
  }
}
function scanArgv(): void {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let argv: string;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue; // gone already
    }
    if (/(^|\/)packer build /.test(argv) && cwdOf(pid).startsWith(tmp)) sawPackerBuild = true; // ours, not another test's
    if (argv.includes(SECRET)) argvWithSecret.push(argv);
  }
}

/** What Azure's provisioning agent does on first boot: the admin user, with the deployment's key and sudo. */
async function bootVm(d: AzureDeploymentEvent): Promise<void> {
  scanArgv(); // Packer is waiting for this deployment: its command line (and its plugins') exist now
  const user = d.adminUsername ?? "";
  if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`deployment ${d.name}: admin user ${JSON.stringify(user)}`);
  const keys = d.sshPublicKeys.join("\n");
  const r = await target.run(
    [
      "set -e",
      "ssh-keygen -A >/dev/null", // the previous bake's hygiene removed the host keys
      `id -u ${user} >/dev/null 2>&1 || { useradd -m -s /bin/bash ${user}; usermod -p '*' ${user}; }`,
      `printf '%s ALL=(ALL) NOPASSWD:ALL\\n' ${user} > /etc/sudoers.d/90-azure-${user} && chmod 440 /etc/sudoers.d/90-azure-${user}`,
      `install -d -m 700 -o ${user} -g ${user} ~${user}/.ssh`,
      `cat > ~${user}/.ssh/authorized_keys`,
      `chown ${user}: ~${user}/.ssh/authorized_keys && chmod 600 ~${user}/.ssh/authorized_keys`,
    ].join("\n"),
    { input: `${keys}\n` },
  );
  if (r.code !== 0) throw new Error(`booting the VM on the target: ${r.stderr}`);
  // The temporary group is gone after the build: keep its tags as they were at deployment time.
  const tags = azure.state.subscriptions[SUB]?.resourceGroups?.find((g) => g.name === d.resourceGroup)?.tags ?? {};
  deployments.push({ ...d, groupTags: { ...tags } });
}

const state = () => ({
  tenants: { [TENANT]: { clients: [{ clientId: CLIENT, clientSecret: SECRET }] } },
  subscriptions: { [SUB]: { tenantId: TENANT, resourceGroups: [{ name: "arvados-images", location: "centralus" }] } },
  images: [{ location: "centralus", publisher: "Debian", offer: "debian-12", sku: "12-gen2", versions: ["0.20261101.2"] }],
  vmSizes: { centralus: [{ name: "Standard_D2s_v5", numberOfCores: 2, memoryInMB: 8192 }] },
  publicIpAddress: VM_IP,
  operationPolls: 1,
});

beforeAll(async () => {
  if (SKIP) return;
  tmp = mkdtempSync(join(tmpdir(), "arv-image-e2e-azure-"));
  await ensureRootfs();
  const m = await cachedMirror();
  mirror = await startMirror({ dir: m.dir });
  // The target's own authorized key is never used: Packer logs in with the deployment's key.
  const unused = join(tmp, "unused");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", unused]);
  target = await startTarget({ authorizedKey: readFileSync(`${unused}.pub`, "utf8").trim() });
  const tls = await makeTestCa(join(tmp, "tls"), { dnsNames: ["management.azure.com", "login.microsoftonline.com"] });
  ca = tls.caCert;
  azure = await startAzureServer({
    state: state(),
    tls: { cert: tls.cert, key: tls.key },
    path: join(tmp, "azure.sock"),
    onDeployment: bootVm,
    // ARV_IMAGE_E2E_AZURE_LOG=FILE keeps the request log (JSONL) for reading afterwards.
    ...(process.env.ARV_IMAGE_E2E_AZURE_LOG ? { log: process.env.ARV_IMAGE_E2E_AZURE_LOG } : {}),
  });
  sshRelay = createServer((c) => {
    const t = connect(target.port, "127.0.0.1");
    c.pipe(t).pipe(c);
    c.on("error", () => t.destroy());
    t.on("error", () => c.destroy());
  });
  await new Promise<void>((ok) => sshRelay.listen(join(tmp, "ssh.sock"), ok));
  secrets = join(tmp, "azure-secrets.sh");
  writeFileSync(secrets, `export ARM_TENANT_ID=${TENANT}\nexport ARM_CLIENT_ID=${CLIENT}\nexport ARM_CLIENT_SECRET=${SECRET}\nexport ARM_SUBSCRIPTION_ID=${SUB}\n`, {
    mode: 0o600,
  });
}, 600_000);
afterAll(async () => {
  await azure?.close();
  await new Promise((ok) => (sshRelay ? sshRelay.close(ok) : ok(undefined)));
  await target?.stop();
  await mirror?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Bake {
  code: number | null;
  stdout: string;
  stderr: string;
  out: string;
}

/** `arv-image build --cloud azure` in the private namespace; `interruptOn`: send SIGINT when stderr shows it; `extra`: more flags. */
function bake(interruptOn?: string, extra: string[] = []): Promise<Bake> {
  const dir = mkdtempSync(join(tmp, "b-"));
  const out = join(dir, "build");
  const argv = [
    process.execPath,
    BIN,
    "build",
    "--cloud",
    "azure",
    "--arvados-cluster-id",
    "zzzzz",
    "--public-key-file",
    EXAMPLE_KEY,
    "--resolver",
    RESOLVER,
    ...mirrorArgs(mirror.url),
    "--azure-secrets-file",
    secrets,
    "--azure-resource-group",
    "arvados-images",
    "--azure-sku",
    "12-gen2",
    "--runtime-engine",
    "docker",
    "--out",
    out,
    "--json",
    ...extra,
  ];
  return inNamespace(dir, argv, { HOME: dir, PKR_VAR_ssh_timeout: "60s" }, interruptOn).then((r) => ({ ...r, out }));
}

/** Runs argv in a fresh network + mount namespace where Azure's hosts and the VM's IP lead to this test's servers. */
function inNamespace(dir: string, argv: string[], env: Record<string, string>, interruptOn?: string): Promise<Omit<Bake, "out">> {
  const spec = join(dir, "spec.json");
  writeFileSync(
    spec,
    JSON.stringify({
      hosts: "127.0.0.1 localhost\n127.0.0.1 management.azure.com login.microsoftonline.com\n",
      relays: [
        { host: "127.0.0.1", port: 443, socket: join(tmp, "azure.sock") },
        { host: VM_IP, port: 22, socket: join(tmp, "ssh.sock") },
      ],
      argv,
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", SSL_CERT_FILE: ca, NODE_EXTRA_CA_CERTS: ca, ...env },
      cwd: dir,
    }),
    { mode: 0o600 },
  );
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["--net", "--mount", "--pid", "--fork", "--kill-child", "--", process.execPath, `${REPO}test/support/netns-relay.mjs`, spec], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdin.on("error", () => {});
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (interruptOn && !sent && stderr.includes(interruptOn)) {
        sent = true;
        child.stdin.write("INT\n");
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const resourcesOf = (rg: string): AzureResource[] => azure.state.subscriptions[SUB]?.resourceGroups?.find((g) => g.name === rg)?.resources ?? [];
const groupNames = () => (azure.state.subscriptions[SUB]?.resourceGroups ?? []).map((g) => g.name);
const calls = (from: number) => azure.requests.slice(from).map((q) => `${q.method} ${q.route} ${q.status}`);
const tempGroupCalls = (from: number, method: string) =>
  azure.requests.slice(from).filter((q) => q.method === method && /^\/subscriptions\/[^/]+\/resourcegroups\/pkr-Resource-Group-[^/]+$/i.test(q.path));

/** Every file below dir (the build directory: rendered templates, scripts, logs). */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function expectNoSecrets(b: Bake): void {
  const everything = [JSON.stringify(azure.requests), JSON.stringify(azure.state.subscriptions), b.stdout, b.stderr, ...filesBelow(b.out).map((f) => readFileSync(f, "utf8"))].join(
    "\n",
  );
  expect(everything).not.toContain(SECRET);
  // No bearer token (an HS256 JWT the server minted) anywhere either.
  expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  // Nor in any process's command line while Packer ran (the secret reaches Packer by environment).
  expect(sawPackerBuild).toBe(true);
  expect(argvWithSecret).toEqual([]);
}

describe.skipIf(SKIP)("e2e tier 3: arv-image build --cloud azure against loopback Entra ID and Resource Manager", () => {
  it("bakes a managed image: the id the server holds is printed, with the Arvados snippet, and the temporary resource group is gone", async () => {
    const from = azure.requests.length;
    const b = await bake();
    expect(b.code, b.stderr.slice(-5000)).toBe(0);
    const images = resourcesOf("arvados-images").filter((r) => r.type === "Microsoft.Compute/images");
    expect(images).toHaveLength(1);
    const image = images[0] as AzureResource;
    expect(image.name).toMatch(/^zzzzz-compute-v\d+$/);
    expect(image.properties.storageProfile.osDisk.osState).toBe("Generalized");
    const doc = JSON.parse(b.stdout) as { ok: boolean; imageId: string; images: { id: string; resourceGroup?: string; name?: string }[]; arvadosConfig: string };
    expect(doc.ok).toBe(true);
    expect(doc.images).toEqual([expect.objectContaining({ resourceGroup: "arvados-images", name: image.name, region: "centralus" })]);
    // arv-image scrubs every value of the secrets file from what it prints, ARM_SUBSCRIPTION_ID
    // included, so the id may come out as /subscriptions/<redacted>/…
    expect(doc.images[0]?.id.replace("/subscriptions/<redacted>/", `/subscriptions/${SUB}/`)).toBe(image.id);
    expect(doc.imageId).toBe(image.name);
    for (const text of [doc.arvadosConfig, b.stderr]) {
      expect(text).toContain(`ImageID: "${image.name}"`);
      expect(text).toContain(`ImageResourceGroup: "arvados-images"`);
    }

    // Packer deployed its VM with the key it then logged in with, into a temporary group that is gone.
    const d = deployments.at(-1)!;
    expect(d.resourceGroup).toMatch(/^pkr-Resource-Group-/);
    expect(Object.keys(d.groupTags)).toEqual(expect.arrayContaining(["arv-image-build-id", "arv-image-expires", "arvados_cluster"]));
    expect(d.resources.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "Microsoft.Network/publicIPAddresses",
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/networkInterfaces",
        "Microsoft.Compute/virtualMachines",
      ]),
    );
    // What the rendered template made Packer deploy.
    const vm = d.resources.find((r) => r.type === "Microsoft.Compute/virtualMachines") as AzureResource;
    expect(vm.location).toBe("centralus");
    expect(vm.properties.hardwareProfile).toEqual({ vmSize: "Standard_D2s_v5" });
    expect(vm.properties.storageProfile.imageReference).toMatchObject({ publisher: "Debian", offer: "debian-12", sku: "12-gen2" });
    expect(d.adminUsername).toBe("packer");
    expect(d.sshPublicKeys).toHaveLength(1);
    // Packer reached the VM at the address of its public IP resource.
    expect(b.stderr).toContain(`IP Address          : '${VM_IP}'`);
    expect(groupNames()).toEqual(["arvados-images"]);
    expect(tempGroupCalls(from, "PUT")).toHaveLength(1);
    expect(tempGroupCalls(from, "DELETE").map((q) => q.status)).toEqual([202]);
    const log = calls(from);
    for (const c of [
      "PUT deployments.createOrUpdate 201",
      "POST virtualMachines.deallocate 202",
      "POST virtualMachines.generalize 200",
      "PUT images.createOrUpdate 201",
      "GET operations.get 200",
    ])
      expect(log).toContain(c);
    expect(log.indexOf("POST virtualMachines.generalize 200")).toBeLessThan(log.indexOf("PUT images.createOrUpdate 201"));
    expectNoSecrets(b);
  }, 900_000);

  it("a refused image: non-zero exit with Azure's reason, and the temporary resource group deleted", async () => {
    const from = azure.requests.length;
    const imagesBefore = resourcesOf("arvados-images").filter((r) => r.type === "Microsoft.Compute/images").length;
    azure.faults["images.createOrUpdate"] = {
      async: true,
      status: 409,
      code: "OperationNotAllowed",
      message: "Operation results in exceeding quota limits of Images. Maximum allowed: 0 (e2e).",
    };
    try {
      const b = await bake();
      expect(b.code).not.toBe(0);
      expect(b.stderr).toMatch(/OperationNotAllowed.*Operation results in exceeding quota limits of Images/);
      expect(JSON.parse(b.stdout)).toMatchObject({ ok: false });
      expect(tempGroupCalls(from, "DELETE").map((q) => q.status)).toEqual([202]);
      expect(groupNames()).toEqual(["arvados-images"]);
      expect(resourcesOf("arvados-images").filter((r) => r.type === "Microsoft.Compute/images")).toHaveLength(imagesBefore);
      // Packer got as far as the image: the refusal came from the image's own operation.
      expect(calls(from)).toContain("PUT images.createOrUpdate 201");
      expectNoSecrets(b);
    } finally {
      delete azure.faults["images.createOrUpdate"];
    }
  }, 900_000);

  it("Ctrl-C during provisioning: Packer deletes the temporary resource group, arv-image exits 130", async () => {
    const from = azure.requests.length;
    const b = await bake("Provisioning with shell script");
    expect(b.code, b.stderr.slice(-3000)).toBe(130);
    expect(b.stderr).toContain("Packer is cleaning up");
    expect(interruptReports(b.stderr), b.stderr.slice(-3000)).toEqual(["interrupted (SIGINT)"]);
    expect(tempGroupCalls(from, "DELETE").map((q) => q.status)).toEqual([202]);
    expect(groupNames()).toEqual(["arvados-images"]);
    expect(calls(from).some((c) => c.startsWith("PUT images."))).toBe(false);
    expectNoSecrets(b);
  }, 900_000);

  describe("publishing to an Azure Compute Gallery (--azure-gallery)", () => {
    const GRG = "arvados-galleries";
    const gallery = () => armResourceId(SUB, GRG, "Microsoft.Compute/galleries", "arvgallery");
    const GALLERY_FLAGS = [
      "--azure-gallery",
      "arvgallery",
      "--azure-gallery-image",
      "compute-debian12",
      "--azure-gallery-resource-group",
      GRG,
      "--azure-replication-regions",
      "eastus",
    ];
    const versions = () => resourcesOf(GRG).filter((r) => r.type === "Microsoft.Compute/galleries/images/versions");
    beforeAll(() => {
      if (SKIP) return;
      // The operator's gallery and a definition that fits Debian 12-gen2 (Linux, V2, x64), as preflight checks.
      azure.state.subscriptions[SUB]!.resourceGroups!.push({
        name: GRG,
        location: "centralus",
        resources: [
          { id: gallery(), name: "arvgallery", type: "Microsoft.Compute/galleries", location: "centralus", properties: { provisioningState: "Succeeded" } },
          {
            id: `${gallery()}/images/compute-debian12`,
            name: "compute-debian12",
            type: "Microsoft.Compute/galleries/images",
            location: "centralus",
            properties: {
              osType: "Linux",
              osState: "Generalized",
              hyperVGeneration: "V2",
              architecture: "x64",
              identifier: { publisher: "arvados", offer: "compute", sku: "debian-12" },
              provisioningState: "Succeeded",
            },
          },
        ],
      });
    });

    it("bakes a managed image and a gallery image version: both ids printed, the snippet has the gallery keys, no expiry tag left, the temporary group gone", async () => {
      const from = azure.requests.length;
      const b = await bake(undefined, GALLERY_FLAGS);
      expect(b.code, b.stderr.slice(-5000)).toBe(0);
      // Packer 1.6.6 publishes from a managed image, which arv-image keeps (and says so).
      expect(b.stderr).toContain("left out for Packer 1.6.6: publishing to the gallery without a managed image");
      const [version, ...more] = versions();
      expect(more).toEqual([]);
      const image = resourcesOf("arvados-images")
        .filter((r) => r.type === "Microsoft.Compute/images")
        .at(-1) as AzureResource;
      expect(version?.name).toMatch(/^20\d\d\.[1-9]\d{2,3}\.\d{1,6}$/); // YYYY.MMDD.hhmmss as numbers
      expect(version?.id).toBe(`${gallery()}/images/compute-debian12/versions/${version?.name}`);
      expect(version?.properties.publishingProfile.source.managedImage.id).toBe(image.id);
      expect(version?.properties.publishingProfile.targetRegions.map((t: { name: string }) => t.name)).toEqual(["centralus", "eastus"]);
      // Both are the product: tagged with the build, the expiry removed (gc leaves them alone).
      for (const r of [version!, image]) {
        expect(Object.keys(r.tags ?? {})).toContain("arv-image-build-id");
        expect(Object.keys(r.tags ?? {})).not.toContain("arv-image-expires");
      }
      const doc = JSON.parse(b.stdout) as {
        ok: boolean;
        imageId: string;
        images: { id: string; name?: string; gallery?: string; galleryImageVersion?: string; resourceGroup?: string }[];
        arvadosConfig: string;
      };
      expect(doc.ok).toBe(true);
      const unscrub = (id: string) => id.replace("/subscriptions/<redacted>/", `/subscriptions/${SUB}/`);
      expect(doc.images.map((i) => unscrub(i.id))).toEqual([image.id, version!.id]);
      expect(doc.images[1]).toMatchObject({ gallery: "arvgallery", name: "compute-debian12", galleryImageVersion: version!.name, resourceGroup: GRG });
      expect(doc.imageId).toBe("compute-debian12");
      for (const text of [doc.arvadosConfig, b.stderr]) {
        expect(text).toContain(`ImageID: "compute-debian12"`);
        expect(text).toContain(`ImageResourceGroup: "${GRG}"`);
        expect(text).toContain(`SharedImageGalleryName: "arvgallery"`);
        expect(text).toContain(`SharedImageGalleryImageVersion: "${version!.name}"`);
      }
      expect(b.stderr).toContain(`/galleries/arvgallery/images/compute-debian12/versions/${version!.name}`);
      // Deprovisioned last; the dispatcher's login user and its key survive it.
      expect(b.stderr).toContain("99a-deprovision");
      const keys = await target.run("cat ~crunch/.ssh/authorized_keys");
      expect(keys.stdout).toContain(readFileSync(EXAMPLE_KEY, "utf8").trim().split(" ")[1]);
      // Preflight checked the gallery destination first; then Packer published.
      const log = calls(from);
      for (const c of ["GET galleries.get 200", "GET galleryImages.get 200", "PUT galleryImageVersions.createOrUpdate 201", "PATCH tags.updateAtScope 200"])
        expect(log).toContain(c);
      expect(groupNames()).toEqual(["arvados-images", GRG]);
      expect(tempGroupCalls(from, "DELETE").map((q) => q.status)).toEqual([202]);
      expectNoSecrets(b);
    }, 900_000);

    it("a refused gallery version: non-zero exit with Azure's reason, no version, and the temporary resource group deleted", async () => {
      const from = azure.requests.length;
      const before = versions().length;
      azure.faults["galleryImageVersions.createOrUpdate"] = {
        async: true,
        status: 409,
        code: "OperationNotAllowed",
        message: "Operation results in exceeding quota limits of Gallery Image Versions. Maximum allowed: 0 (e2e).",
      };
      try {
        const b = await bake(undefined, [...GALLERY_FLAGS, "--azure-gallery-version", "2026.1203.2"]);
        expect(b.code).not.toBe(0);
        expect(b.stderr).toMatch(/OperationNotAllowed.*exceeding quota limits of Gallery Image Versions/);
        expect(JSON.parse(b.stdout)).toMatchObject({ ok: false });
        expect(versions()).toHaveLength(before);
        expect(calls(from)).toContain("GET galleryImageVersions.get 404"); // preflight: 2026.1203.2 is free
        expect(calls(from)).toContain("PUT galleryImageVersions.createOrUpdate 201");
        expect(tempGroupCalls(from, "DELETE").map((q) => q.status)).toEqual([202]);
        expect(groupNames()).toEqual(["arvados-images", GRG]);
        expectNoSecrets(b);
      } finally {
        delete azure.faults["galleryImageVersions.createOrUpdate"];
      }
    }, 900_000);
  });

  // Packer 1.6.6's own gallery publishing, without arv-image: the calls the server takes.
  it("Packer 1.6.6 publishes a managed image to a gallery image version through the server", async () => {
    const rg = "arvados-images";
    const group = azure.state.subscriptions[SUB]!.resourceGroups!.find((g) => g.name === rg)!;
    const gallery = armResourceId(SUB, rg, "Microsoft.Compute/galleries", "arvgallery");
    (group.resources ??= []).push(
      { id: gallery, name: "arvgallery", type: "Microsoft.Compute/galleries", location: "centralus", properties: { provisioningState: "Succeeded" } },
      {
        id: `${gallery}/images/compute`,
        name: "compute",
        type: "Microsoft.Compute/galleries/images",
        location: "centralus",
        properties: { osType: "Linux", osState: "Generalized", identifier: { publisher: "arvados", offer: "compute", sku: "debian-12" }, provisioningState: "Succeeded" },
      },
    );
    const dir = mkdtempSync(join(tmp, "g-"));
    writeFileSync(
      join(dir, "gallery.pkr.hcl"),
      `variable "client_secret" {
  type      = string
  default   = env("ARM_CLIENT_SECRET")
  sensitive = true
}
source "azure-arm" "g" {
  client_id                         = "${CLIENT}"
  client_secret                     = var.client_secret
  subscription_id                   = "${SUB}"
  tenant_id                         = "${TENANT}"
  location                          = "centralus"
  vm_size                           = "Standard_D2s_v5"
  os_type                           = "Linux"
  image_publisher                   = "Debian"
  image_offer                       = "debian-12"
  image_sku                         = "12-gen2"
  managed_image_resource_group_name = "${rg}"
  managed_image_name                = "gallery-probe-1"
  shared_image_gallery_destination {
    resource_group      = "${rg}"
    gallery_name        = "arvgallery"
    image_name          = "compute"
    image_version       = "1.0.0"
    replication_regions = ["centralus", "eastus"]
  }
  communicator = "ssh"
  ssh_username = "packer"
  ssh_timeout  = "60s"
}
build {
  sources = ["source.azure-arm.g"]
  provisioner "shell" {
    inline = ["true"]
  }
}
`,
    );
    const from = azure.requests.length;
    const r = await inNamespace(dir, ["packer", "build", "-color=false", "-machine-readable", "gallery.pkr.hcl"], {
      HOME: dir,
      CHECKPOINT_DISABLE: "1",
      ARM_CLIENT_SECRET: SECRET,
    });
    expect(r.code, r.stdout.slice(-4000)).toBe(0);
    const version = resourcesOf(rg).find((x) => x.type === "Microsoft.Compute/galleries/images/versions");
    expect(version?.id).toBe(`${gallery}/images/compute/versions/1.0.0`);
    expect(version?.properties.publishingProfile.source.managedImage.id).toBe(armResourceId(SUB, rg, "Microsoft.Compute/images", "gallery-probe-1"));
    expect(version?.properties.publishingProfile.targetRegions.map((t: { name: string }) => t.name)).toEqual(["centralus", "eastus"]);
    expect(r.stdout).toContain(`Shared Gallery Image Version ID : '${version?.id}'`);
    expect(calls(from)).toEqual(expect.arrayContaining(["GET galleryImages.get 200", "PUT galleryImageVersions.createOrUpdate 201", "GET galleryImageVersions.get 200"]));
    expect(groupNames().filter((n) => /^pkr-/i.test(n))).toEqual([]);
  }, 900_000);
});
