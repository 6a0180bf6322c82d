/**
 * Resolved configuration → everything the templates need. Templates only select and
 * place; names, lists and feature decisions are made here.
 */
import type { Cloud } from "../config/flags.js";
import type { ResolvedConfig } from "../config/resolved.js";
import { compareVersions } from "../compare-versions.js";
import type { HclValue } from "./escape.js";
import type { ScriptContext } from "./script-context.js";
import { PACKER_PLUGINS, URLS as PUBLIC_URLS } from "../releases/versions.js";

/** What the detected or chosen Packer can express. */
export interface PackerFeatures {
  version: string;
  /** packer { required_plugins } and `packer init` (Packer >= 1.7). */
  requiredPlugins: boolean;
  /** amazon plugin's metadata_options and imds_support (not in Packer 1.6's built-in builder). */
  imds: boolean;
  /**
   * azure plugin: shared_image_gallery_destination without a managed image, and its target_region
   * blocks (replication_regions is deprecated there). Packer 1.6.6's built-in azure-arm publishes
   * only a managed image to a gallery and takes replication_regions (builder/azure/arm/config.go).
   */
  azureGalleryOnly: boolean;
}

export function packerFeatures(version: string): PackerFeatures {
  const modern = compareVersions(version, "1.7.0") >= 0;
  return { version, requiredPlugins: modern, imds: modern, azureGalleryOnly: modern };
}

/** Settings arv-image leaves out for an old Packer, named in render's output. */
/** What a build directory targets: a cloud builder, or an existing machine (`provision`, Packer's null builder). */
export type Target = Cloud | "none";

export function omittedFor(cloud: Target, f: PackerFeatures, gallery = false): string[] {
  const out: string[] = [];
  if (cloud === "none") return out; // the null builder is part of Packer itself
  if (!f.requiredPlugins) out.push("versions.pkr.hcl (required_plugins needs Packer >= 1.7; the built-in builders are used)");
  if (cloud === "azure" && gallery && !f.azureGalleryOnly) {
    out.push("publishing to the gallery without a managed image (Packer 1.6's azure-arm captures a managed image and publishes that; the azure plugin, Packer >= 1.7, needs none)");
  }
  if (cloud === "aws" && !f.imds) {
    out.push("IMDSv2 on the builder and the AMI (metadata_options, imds_support need the amazon plugin, Packer >= 1.7)");
  }
  return out;
}

export interface ScriptPlan {
  /** Scripts run before the reboot into an upgraded kernel (10-base, which upgrades). */
  first: string[];
  /** Scripts run after it (a reboot only when a newer kernel was installed). */
  second: string[];
}

export function scriptPlan(on: ScriptContext["on"]): ScriptPlan {
  const all = [
    "10-base.sh",
    "15-kernel.sh",
    "20-arvados.sh",
    on.nvidia && "30-nvidia.sh",
    on.rocm && "35-rocm.sh",
    on.docker && "40-docker.sh",
    on.singularity && "50-singularity.sh",
    on.encryptedTmp && "60-encrypted-tmp.sh",
    on.ebsAutoscale && "61-ebs-autoscale.sh",
    "70-network.sh",
    "80-login-user.sh",
    "90-check-contract.sh",
    "99-hygiene.sh",
    on.deprovision && "99a-deprovision.sh",
  ].filter((s): s is string => typeof s === "string");
  // Every image boots into the kernel 10-base's upgrade installed (Packer's reboot step does
  // nothing when there is none); 15-kernel then purges the old kernels, 30-nvidia builds for it.
  return { first: all.slice(0, 1), second: all.slice(1) };
}

export function scriptContext(c: ResolvedConfig, cloud: Cloud | "none"): ScriptContext {
  const o = c.options;
  const docker = o.runtimeEngine !== "singularity";
  const singularity = o.runtimeEngine !== "docker";
  const ebs = cloud === "aws" && o.awsEbsAutoscale;
  const URLS = { ...PUBLIC_URLS, ...c.mirrors };
  const pins = c.release.pins;
  return {
    v: {
      staging: `${o.workdir.replace(/\/+$/, "")}/arv-image`,
      cloud,
      loginUser: o.loginUser,
      aptLockTimeout: "600",
      cloudInitTimeout: "900",
      arvadosAptUrl: URLS.arvadosApt,
      arvadosKeyUrl: URLS.arvadosKey,
      reposuffix: o.reposuffix,
      dockerAptUrl: URLS.dockerApt,
      dockerKeyUrl: URLS.dockerKey,
      cudaRepoUrl: URLS.cudaRepo,
      cudaKeyringVersion: pins.cudaKeyring,
      nvidiaToolkitUrl: URLS.nvidiaToolkit,
      nvidiaToolkitKeyUrl: URLS.nvidiaToolkitKey,
      goVersion: pins.go,
      goUrl: URLS.go,
      singularityVersion: pins.singularity,
      singularityUrl: URLS.singularity,
      singularityPrefix: "/opt/singularity",
      mksquashfsMem: o.mksquashfsMem,
      autoscalerUrl: URLS.autoscaler,
      autoscalerCommit: pins.autoscalerCommit,
      rocmVersion: pins.rocm,
      rocmRepoUrl: URLS.rocmRepo,
      rocmKeyUrl: URLS.rocmKey,
      resolver: o.resolver ?? "",
    },
    on: {
      docker,
      singularity,
      nvidia: o.nvidiaGpuSupport,
      rocm: o.amdRocmSupport,
      ebsAutoscale: ebs,
      encryptedTmp: !ebs,
      pinPackages: o.pinPackages,
      resolver: o.resolver !== undefined,
      hosts: c.hostsEntries.length > 0,
      // A cloud build is captured; provision only when asked (--capture-hygiene): the machine is then imaged by its owner.
      captureHygiene: cloud !== "none" || c.options.captureHygiene === true,
      // Azure generalizes the captured disk: the VM is deprovisioned first (waagent or cloud-init).
      deprovision: cloud === "azure",
    },
  };
}

/** Context of the HCL templates. */
export function hclContext(c: ResolvedConfig, cloud: Target, f: PackerFeatures, plan: ScriptPlan) {
  const plugin = cloud === "none" ? { source: "", version: "" } : PACKER_PLUGINS[cloud];
  return {
    is: { aws: cloud === "aws", azure: cloud === "azure", gcp: cloud === "gcp", none: cloud === "none" },
    packer: { requiredVersion: ">= 1.7.0", pluginSource: plugin.source, pluginVersion: plugin.version },
    // Without --aws-source-ami (and no preflight to choose one): Packer picks the newest official AMI of --base-os.
    aws: { sourceAmi: c.options.awsSourceAmi !== undefined, imds: f.imds, amiOwners: [c.baseOs.aws.owner], amiName: c.baseOs.aws.namePattern },
    // googlecompute plugin >= 1.1.4 reads the key as credentials_file; Packer 1.6's built-in builder only knows account_file.
    gcp: { credentialsFile: f.requiredPlugins },
    azure: azureContext(c, cloud, f),
    scripts: { first: plan.first, second: plan.second, afterReboot: plan.second.length > 0 },
  };
}

/** The managed image and the gallery image version an Azure build makes. */
function azureContext(c: ResolvedConfig, cloud: Target, f: PackerFeatures) {
  const gallery = cloud === "azure" && c.options.azureGallery !== undefined;
  return {
    gallery,
    // Packer 1.6.6 publishes to a gallery only from a managed image it made (isManagedImage()).
    managedImage: !gallery || !f.azureGalleryOnly,
    targetRegionBlocks: f.azureGalleryOnly,
    regionIndexes: gallery ? galleryRegions(c).map((_, i) => i) : [],
  };
}

/** Where the gallery image version is replicated: the build location first, then --azure-replication-regions. */
export function galleryRegions(c: ResolvedConfig): string[] {
  const o = c.options;
  return [...new Set([o.azureLocation, ...(o.azureReplicationRegions ?? [])])];
}

/** Values for arv-image.auto.pkrvars.hcl, in file order. */
export function packerVariables(c: ResolvedConfig, cloud: Target): [string, HclValue][] {
  const o = c.options;
  const common: [string, HclValue][] = [
    ["arvados_cluster", o.arvadosClusterId ?? ""],
    ["workdir", o.workdir],
    ["ssh_username", o.sshUser],
  ];
  switch (cloud) {
    case "aws":
      return [
        ...common,
        ["aws_profile", o.awsProfile ?? ""],
        ["aws_region", o.awsRegion],
        ["aws_source_ami", o.awsSourceAmi ?? ""],
        ["aws_instance_type", o.awsInstanceType],
        ["aws_vpc_id", o.awsVpcId ?? ""],
        ["aws_subnet_id", o.awsSubnetId ?? ""],
        ["aws_associate_public_ip_address", o.awsAssociatePublicIp],
        ["aws_ena_support", o.awsEnaSupport],
        ["aws_volume_size", o.awsVolumeSize],
        ["aws_root_device", o.awsRootDevice ?? c.baseOs.aws.rootDevice],
        ["aws_ami_regions", o.awsAmiRegions ?? []],
      ];
    case "azure":
      return [
        ...common,
        ["resource_group", o.azureResourceGroup ?? ""],
        ["location", o.azureLocation],
        ["cloud_environment_name", o.azureCloudEnvironment],
        ["image_publisher", o.azureImagePublisher],
        ["image_offer", o.azureImageOffer],
        ["image_sku", o.azureSku ?? ""],
        ["vm_size", o.azureVmSize],
        ...(o.azureGallery !== undefined
          ? ([
              ["gallery_resource_group", o.azureGalleryResourceGroup ?? o.azureResourceGroup ?? ""],
              ["gallery_name", o.azureGallery],
              ["gallery_image_name", o.azureGalleryImage ?? ""],
              ["gallery_image_version", o.azureGalleryVersion ?? ""],
              ["gallery_replication_regions", galleryRegions(c)],
            ] satisfies [string, HclValue][])
          : []),
      ];
    case "gcp":
      return [
        ...common,
        ["project_id", o.gcpProjectId ?? ""],
        ["account_file", o.gcpAccountFile ?? ""],
        ["zone", o.gcpZone],
        ["source_image_family", o.gcpSourceImageFamily],
        ["source_image_project", o.gcpSourceImageProject],
        ["machine_type", o.gcpMachineType],
      ];
    case "none":
      // An existing machine is up already: do not wait the ten minutes a booting VM gets.
      return [...common, ["ssh_host", o.sshHost ?? ""], ["ssh_port", o.sshPort], ["ssh_private_key_file", o.sshPrivateKeyFile ?? ""], ["ssh_timeout", "1m"]];
  }
}
