/** The parts of build around `packer build`: names, the dry-run plan, the results, the after-work. */
import type { Timing } from "../packer/phases.js";
import { type Cloud, flagByKey } from "../config/flags.js";
import type { ResolvedConfig } from "../config/resolve.js";
import type { Progress } from "../io.js";
import type { ErrorCollector, ImageRef } from "../packer/results.js";
import type { RenderResult } from "../render/build-dir.js";
import { clusterConfigFragment, EBS_AUTOSCALE_IAM_POLICY, primaryImage } from "../render/cluster-config.js";
import { galleryRegions } from "../render/context.js";
import { resolve } from "node:path";
import { interrupted } from "../interrupt.js";
import { sh } from "../render/escape.js";
import { writeFileAtomic } from "../render/write.js";

type Built = ResolvedConfig & { cloud: Cloud };

export function imageNameFor(c: Built, stamp: string, epoch: string): string {
  const id = c.options.arvadosClusterId;
  return c.cloud === "azure" ? `${id}-compute-v${epoch}` : `arvados-${id}-compute-${stamp}`;
}

/** The gallery image version a build started at `stamp` (YYYYMMDDhhmmss) gets: YYYY.MMDD.hhmmss as numbers, as the template computes it. */
export function galleryVersionFrom(stamp: string): string {
  return [stamp.slice(0, 4), stamp.slice(4, 8), stamp.slice(8, 14)].map((p) => String(Number(p))).join(".");
}

/** What --dry-run says the build would be, one line each. */
export function buildPlan(c: Built, result: RenderResult, imageName: string, stamp?: string): string[] {
  const o = c.options;
  const base =
    c.cloud === "aws"
      ? (o.awsSourceAmi ?? `newest official ${c.baseOs.title} amd64 AMI (owner ${c.baseOs.aws.owner}, ${c.baseOs.aws.namePattern})`)
      : c.cloud === "azure"
        ? `${o.azureImagePublisher}/${o.azureImageOffer}/${o.azureSku ?? ""}`
        : `family ${o.gcpSourceImageFamily} (project ${o.gcpSourceImageProject})`;
  const where = c.cloud === "aws" ? `region ${o.awsRegion}` : c.cloud === "azure" ? `location ${o.azureLocation}` : `zone ${o.gcpZone}`;
  const size = c.cloud === "aws" ? o.awsInstanceType : c.cloud === "azure" ? o.azureVmSize : o.gcpMachineType;
  // The steps that run, in order: scripts/NN-*.sh (scripts/lib/ holds what they source).
  const installs = result.files.filter((f) => /^scripts\/[^/]+\.sh$/.test(f.path)).map((f) => f.path.slice("scripts/".length));
  return [
    `cloud:          ${c.cloud} (${where})`,
    `base image:     ${base}`,
    `builder:        ${size}`,
    // The azure plugin (Packer >= 1.7) publishes straight to the gallery: no managed image then.
    `image name:     ${c.cloud === "azure" && o.azureGallery !== undefined && result.packer.azureGalleryOnly ? "none (the gallery image version only)" : imageName}`,
    ...(c.cloud === "azure" && o.azureGallery !== undefined
      ? [
          `gallery:        ${o.azureGallery}/${o.azureGalleryImage ?? ""} version ${o.azureGalleryVersion ?? (stamp !== undefined ? `${galleryVersionFrom(stamp)} (the build time)` : "YYYY.MMDD.hhmmss of the build start")}, resource group ${o.azureGalleryResourceGroup ?? o.azureResourceGroup ?? ""}, replicated to ${galleryRegions(c).join(", ")}`,
        ]
      : []),
    `runtime engine: ${o.runtimeEngine}${o.nvidiaGpuSupport ? ", NVIDIA GPU support" : ""}${c.cloud === "aws" && o.awsEbsAutoscale ? ", EBS autoscaler for /tmp" : ", encrypted /tmp on local disks"}`,
    `scripts:        ${installs.join(" ")}`,
    ...result.omitted.map((x) => `left out:       ${x}`),
  ];
}

/** What any `packer build` run (a bake, or provisioning a machine) was, for the result document. */
export interface PackerRunSummary {
  buildDirectory: string;
  log: string;
  elapsedSeconds: number;
  packerSeconds: number;
  packerExitCode: number;
  /** Where the time went, from Packer's timestamps. */
  timings: Timing[];
}

/** Packer's own one-line reason for a failed build, else the last error it printed. */
export function lastError(errors: ErrorCollector): string | undefined {
  return errors.buildErrors().at(-1)?.message ?? errors.errors().at(-1);
}

/** A word for a POSIX shell: as it is when nothing in it is special, else single-quoted. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : sh(value);
}

/**
 * The `arv-image gc` command that looks for what this build may have left: the same
 * credential source (secrets file as an absolute path, profile) and region the build used,
 * every value shell-quoted, so that it can be pasted as it is.
 */
export function gcCommand(c: Built, buildId: string): string[] | undefined {
  const o = c.options;
  const file = (flag: string) => c.secretsFiles.filter((s) => s.flag === flag).flatMap((s) => [flag, resolve(s.path)]);
  if (c.cloud === "aws") {
    return [
      "arv-image",
      "gc",
      "--cloud",
      "aws",
      "--aws-region",
      o.awsRegion,
      ...(o.awsAmiRegions && o.awsAmiRegions.length > 0 ? ["--aws-ami-regions", o.awsAmiRegions.join(",")] : []),
      ...file("--aws-secrets-file"),
      ...(o.awsProfile !== undefined ? ["--aws-profile", o.awsProfile] : []),
      // This build's only: --older-than 0m alone would reach other builds still running.
      "--build-id",
      buildId,
      "--dry-run",
      "--older-than",
      "0m",
    ];
  }
  if (c.cloud === "azure") {
    return [
      "arv-image",
      "gc",
      "--cloud",
      "azure",
      ...file("--azure-secrets-file"),
      ...(o.azureCloudEnvironment !== "Public" ? ["--azure-cloud-environment", o.azureCloudEnvironment] : []),
      "--build-id",
      buildId,
      "--dry-run",
      "--older-than",
      "0m",
    ];
  }
  return undefined;
}

const OLDER_THAN_DEFAULT = String(flagByKey("olderThan").default);

/** Packer's cleanup normally removes everything; if it could not, this finds what is left. */
export function gcHint(c: Built, buildId: string, expires: string): string {
  const cmd = gcCommand(c, buildId)?.map(shellWord).join(" ");
  if (cmd === undefined) return "";
  const where =
    c.cloud === "aws"
      ? "it is"
      : `it is in a temporary resource group pkr-Resource-Group-*${c.options.azureGallery !== undefined ? ` (or is a version in gallery ${c.options.azureGallery})` : ""}`;
  // A plain gc sweeps it too: once the build is older than --older-than (2h by default), at the latest when its tag expires.
  return `\nIf anything was left behind ${where} tagged arv-image-build-id=${buildId}; to check (without --dry-run to delete; a plain arv-image gc finds it too once it is older than --older-than, ${OLDER_THAN_DEFAULT} by default, and by ${expires} in any case):\n  ${cmd}`;
}

/** What the after-work made of a successful build. */
export interface AfterBuild {
  imageId: string | undefined;
  arvadosConfig: string;
  iamPolicy?: object;
  /** An interrupt came during the after-work: the steps it left undone, each with how to do it by hand. */
  interrupted?: NodeJS.Signals;
  undone: string[];
}

/**
 * After a successful build: the images kept from gc, the cluster config (and --emit-config).
 * The image exists whatever happens here: an interrupt stops the remaining steps, never the
 * result (the caller still prints the id and the --json document, and what was left undone).
 */
export async function afterBuild(c: Built, images: ImageRef[], progress: Progress): Promise<AfterBuild> {
  const o = c.options;
  const cloud = c.cloud;
  const undone: string[] = [];
  if (cloud === "aws") {
    // The images are the product: take them out of what `arv-image gc` may sweep.
    const { keepImages } = await import("../clouds/aws.js");
    const { cloudContext } = await import("../clouds/context.js");
    const kept = await keepImages(cloudContext(c), images);
    for (const w of kept.warnings) progress.stderr(`arv-image: warning: ${w}\n`);
    undone.push(...kept.undone);
  }
  if (cloud === "azure") {
    // The managed image and the gallery image version are the product: out of what `arv-image gc` sweeps.
    const { keepAzureImages } = await import("../clouds/azure-gc.js");
    const { cloudContext } = await import("../clouds/context.js");
    const warnings = await keepAzureImages(cloudContext(c), images);
    for (const w of warnings) progress.stderr(`arv-image: warning: ${w}\n`);
  }
  const snippet = clusterConfigFragment({
    clusterId: o.arvadosClusterId ?? "zzzzz",
    cloud,
    images,
    ...(o.azureResourceGroup !== undefined ? { azureResourceGroup: o.azureResourceGroup } : {}),
    ebsAutoscale: cloud === "aws" && o.awsEbsAutoscale,
    ...(c.cluster ? { instanceTypes: c.cluster.instanceTypes, ...(c.cluster.iamInstanceProfile ? { iamInstanceProfile: c.cluster.iamInstanceProfile } : {}) } : {}),
  });
  if (o.emitConfig !== undefined) {
    if (interrupted() !== undefined) undone.push(`writing --emit-config ${o.emitConfig}; the same text is printed here (and is arvadosConfig in --json)`);
    else {
      await writeFileAtomic(o.emitConfig, snippet);
      progress.stderr(`arv-image: wrote the config.yml changes to ${o.emitConfig}\n`);
    }
  }
  const sig = interrupted();
  return {
    imageId: cloud === "azure" ? (primaryImage(cloud, images)?.name ?? images[0]?.id) : images[0]?.id,
    arvadosConfig: snippet,
    ...(cloud === "aws" && o.awsEbsAutoscale ? { iamPolicy: EBS_AUTOSCALE_IAM_POLICY } : {}),
    ...(sig !== undefined ? { interrupted: sig } : {}),
    undone,
  };
}

/** The provisioning scripts of a build directory, in the order they run ("10-base.sh", …): the status line's n/m. */
export function scriptNames(result: RenderResult): string[] {
  return result.files
    .map((f) => f.path)
    .filter((p) => /^scripts\/\d+-[^/]+\.sh$/.test(p))
    .map((p) => p.slice("scripts/".length))
    .sort();
}
