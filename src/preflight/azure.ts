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
    /** The source image's newest version, as the image check found it (for the gallery checks). */
    let newestSource: string | undefined;
    await Promise.all([
      guard("azure.resource-group", async (abortSignal) => {
        const rg = o.azureResourceGroup;
        if (rg === undefined) return;
        const res = await conn.send("GET", `/subscriptions/${encodeURIComponent(p.subscriptionId)}/resourcegroups/${encodeURIComponent(rg)}?api-version=2021-04-01`, abortSignal);
        if (res.status === 200) {
          const body = JSON.parse(res.body || "{}") as { location?: string };
          add("info", "azure.resource-group", `resource group ${rg} exists (${body.location ?? "?"}) in subscription ${p.subscriptionId}`);
        } else if (res.status === 404) {
          add(
            "error",
            "azure.resource-group",
            `--azure-resource-group ${rg}: no such resource group in subscription ${p.subscriptionId}; the managed image is written there. Create it (az group create --name ${rg} --location ${loc}) or fix the name.`,
          );
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
          add(
            "error",
            "azure.image",
            `image ${urn} does not exist in ${loc}: check --azure-image-publisher, --azure-image-offer and --azure-sku (list them with: az vm image list-skus --location ${loc} --publisher ${pub} --offer ${offer}).`,
          );
        } else {
          newestSource = versions
            .map((v) => v.name ?? "")
            .sort(compareVersionNames)
            .at(-1);
          add("info", "azure.image", `image ${urn} exists in ${loc} (${versions.length} version${versions.length === 1 ? "" : "s"}, newest ${newestSource})`);
        }
      }),
      guard("azure.vm-size", async (abortSignal) => {
        const size = o.azureVmSize;
        const sizes: string[] = [];
        for await (const s of client.virtualMachineSizes.list(loc, { abortSignal })) if (s.name) sizes.push(s.name);
        if (sizes.some((s) => s.toLowerCase() === size.toLowerCase())) add("info", "azure.vm-size", `${size} is offered in ${loc}`);
        else
          add("error", "azure.vm-size", `--azure-vm-size ${size} is not offered in ${loc}: choose another size (az vm list-sizes --location ${loc}) or another --azure-location.`);
      }),
    ]);
    if (o.azureGallery !== undefined && o.azureGalleryImage !== undefined && on("azure.gallery")) await galleryChecks(o.azureGallery, o.azureGalleryImage, newestSource);
    return { findings, inferred: {} };
  }

  /** The gallery, its image definition (fitting the source image) and a free version number. */
  async function galleryChecks(gallery: string, definition: string, newestSource: string | undefined): Promise<void> {
    const rg = o.azureGalleryResourceGroup ?? o.azureResourceGroup ?? "";
    const loc = o.azureLocation;
    const notFound = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;
    let galleryFound = false;
    try {
      await withTimeout(where, ms, async (abortSignal) => {
        try {
          const g = await client.galleries.get(rg, gallery, { abortSignal });
          galleryFound = true;
          add("info", "azure.gallery", `gallery ${gallery} exists in resource group ${rg} (${g.location ?? "?"})`);
        } catch (e) {
          if (!notFound(e)) throw e;
          add(
            "error",
            "azure.gallery",
            `--azure-gallery ${gallery}: no such Azure Compute Gallery in resource group ${rg} of subscription ${p.subscriptionId}. Create it (az sig create --resource-group ${rg} --gallery-name ${gallery} --location ${loc}), or fix the name${o.azureGalleryResourceGroup === undefined ? " or give its group with --azure-gallery-resource-group" : " or --azure-gallery-resource-group"}.`,
          );
        }
      });
    } catch (e) {
      add("error", "azure.gallery", describeAzureError(e, where, ms));
    }
    if (!galleryFound) return; // the definition and version checks would only repeat the missing gallery

    // What the definition must fit: the source image's generation and architecture.
    let source: { hyperVGeneration?: string; architecture?: string } = {};
    if (newestSource !== undefined) {
      try {
        source = await withTimeout(where, ms, (abortSignal) =>
          client.virtualMachineImages.get(loc, o.azureImagePublisher, o.azureImageOffer, o.azureSku ?? "", newestSource, { abortSignal }),
        );
      } catch {
        source = {}; // the image check reported on the source image already
      }
    }
    let definitionFound = false;
    try {
      await withTimeout(where, ms, async (abortSignal) => {
        let d: import("@azure/arm-compute").GalleryImage;
        try {
          d = await client.galleryImages.get(rg, gallery, definition, { abortSignal });
        } catch (e) {
          if (!notFound(e)) throw e;
          const gen = source.hyperVGeneration ?? "V2";
          add(
            "error",
            "azure.gallery",
            `--azure-gallery-image ${definition}: gallery ${gallery} has no such image definition. Create it to fit the source image (az sig image-definition create --resource-group ${rg} --gallery-name ${gallery} --gallery-image-definition ${definition} --publisher arvados --offer compute --sku ${definition} --os-type Linux --os-state Generalized --hyper-v-generation ${gen} --architecture x64), or fix the name.`,
          );
          return;
        }
        definitionFound = true;
        const wrong: string[] = [];
        if ((d.osType ?? "").toLowerCase() !== "linux") wrong.push(`its OS type is ${d.osType ?? "unset"}, not Linux`);
        if ((d.osState ?? "Generalized").toLowerCase() !== "generalized") wrong.push(`its OS state is ${d.osState ?? "?"}: arv-image publishes generalized images`);
        const defGen = d.hyperVGeneration ?? "V1"; // Azure's default for a definition created without one
        if (source.hyperVGeneration !== undefined && defGen.toUpperCase() !== source.hyperVGeneration.toUpperCase()) {
          wrong.push(
            `its Hyper-V generation is ${defGen} but the source image ${o.azureImagePublisher}:${o.azureImageOffer}:${o.azureSku ?? ""} is ${source.hyperVGeneration} (Azure refuses the version)`,
          );
        }
        const defArch = d.architecture ?? "x64";
        const srcArch = source.architecture ?? "x64";
        if (defArch.toLowerCase() !== "x64" || defArch.toLowerCase() !== srcArch.toLowerCase())
          wrong.push(`its architecture is ${defArch}; arv-image's compute images are x64${srcArch.toLowerCase() !== "x64" ? ` (and the source image is ${srcArch})` : ""}`);
        if (wrong.length > 0) {
          add(
            "error",
            "azure.gallery",
            `--azure-gallery-image ${definition} in gallery ${gallery} does not fit this build: ${wrong.join("; ")}. An image definition's OS type, generation and architecture cannot be changed: use (or create) a definition with --os-type Linux --hyper-v-generation ${source.hyperVGeneration ?? "V2"} --architecture x64, or choose a source image (--azure-sku) of generation ${defGen}.`,
          );
        } else {
          add(
            "info",
            "azure.gallery",
            `image definition ${gallery}/${definition}: Linux, ${defGen}, ${defArch}${source.hyperVGeneration !== undefined ? `, as the source image` : ""}`,
          );
        }
      });
    } catch (e) {
      add("error", "azure.gallery", describeAzureError(e, where, ms));
    }
    if (!definitionFound) return;
    const version = o.azureGalleryVersion;
    if (version === undefined) {
      add("info", "azure.gallery", `the version is YYYY.MMDD.hhmmss of the build start (a new number each build); --azure-gallery-version sets one`);
      return;
    }
    try {
      await withTimeout(where, ms, async (abortSignal) => {
        try {
          await client.galleryImageVersions.get(rg, gallery, definition, version, { abortSignal });
          add(
            "error",
            "azure.gallery",
            `--azure-gallery-version ${version}: ${gallery}/${definition} already has version ${version} (a version is published once). Give a new version number (or leave the flag out for one from the build time), or delete the old one first (az sig image-version delete --resource-group ${rg} --gallery-name ${gallery} --gallery-image-definition ${definition} --gallery-image-version ${version}).`,
          );
        } catch (e) {
          if (!notFound(e)) throw e;
          add("info", "azure.gallery", `version ${version} of ${gallery}/${definition} does not exist yet`);
        }
      });
    } catch (e) {
      add("error", "azure.gallery", describeAzureError(e, where, ms));
    }
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
