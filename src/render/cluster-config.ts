/**
 * The lines of the Arvados cluster config (config.yml) an operator changes after a bake:
 * the image id (and Azure's resource group), and with the EBS autoscaler the instance
 * profile and scratch settings, plus the IAM policy that profile needs. YAML written by
 * hand (JSON-quoted strings are YAML double-quoted scalars), comments saying why.
 */
import type { Cloud } from "../config/flags.js";

export interface ImageForConfig {
  id: string;
  region?: string;
  name?: string;
  resourceGroup?: string;
  /** Azure Compute Gallery and image version, for a gallery image version (name: the image definition). */
  gallery?: string;
  galleryImageVersion?: string;
}

export interface FragmentInput {
  clusterId: string;
  cloud: Cloud;
  images: readonly ImageForConfig[];
  azureResourceGroup?: string;
  ebsAutoscale: boolean;
  /** From --arvados-config: the instance types to change, and the profile already set. */
  instanceTypes?: readonly { name: string; addedScratch?: unknown }[];
  iamInstanceProfile?: string;
}

/** What the autoscaler does with EBS (install-dispatch-cloud, "aws-ebs-autoscaler"). */
export const EBS_AUTOSCALE_IAM_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: [
        "ec2:AttachVolume",
        "ec2:DescribeVolumeStatus",
        "ec2:DescribeVolumes",
        "ec2:DescribeTags",
        "ec2:ModifyInstanceAttribute",
        "ec2:DescribeVolumeAttribute",
        "ec2:CreateVolume",
        "ec2:DeleteVolume",
        "ec2:CreateTags",
      ],
      Resource: "*",
    },
  ],
} as const;

const q = (s: string) => JSON.stringify(s);

/** The image Arvados should boot: Azure's gallery image version when the build published one, else the first. */
export function primaryImage<I extends ImageForConfig>(cloud: Cloud, images: readonly I[]): I | undefined {
  return (cloud === "azure" ? images.find((i) => i.gallery !== undefined && i.galleryImageVersion !== undefined) : undefined) ?? images[0];
}

export function clusterConfigFragment(f: FragmentInput): string {
  const first = primaryImage(f.cloud, f.images);
  if (!first) return "";
  const gallery = f.cloud === "azure" && first.gallery !== undefined && first.galleryImageVersion !== undefined;
  const out: string[] = [`# arv-image: the changes to make in config.yml for this image`, `Clusters:`, `  ${f.clusterId}:`, `    Containers:`, `      CloudVMs:`];
  out.push(`        ImageID: ${q(f.cloud === "azure" ? (first.name ?? first.id) : first.id)}`);
  if (f.images.length > 1 && f.cloud !== "azure") {
    out.push(`        # The image exists in ${f.images.length} regions; a cluster in another region uses that region's id:`);
    for (const i of f.images) out.push(`        #   ${i.region ?? "?"}: ${i.id}`);
  }
  const driver: string[] = [];
  if (f.cloud === "azure") {
    // Arvados' Azure driver (lib/cloud/azure) boots /subscriptions/…/resourceGroups/<ImageResourceGroup>/…
    // images/<ImageID>, or with both gallery keys galleries/<name>/images/<ImageID>/versions/<version>.
    driver.push(`          ImageResourceGroup: ${q(first.resourceGroup ?? f.azureResourceGroup ?? "")}`);
    if (gallery) {
      driver.push(`          SharedImageGalleryName: ${q(first.gallery ?? "")}`, `          SharedImageGalleryImageVersion: ${q(first.galleryImageVersion ?? "")}`);
      const managed = f.images.find((i) => i.gallery === undefined && i.name !== undefined);
      if (managed) driver.push(`          # Or the managed image the version was published from: ImageID ${q(managed.name ?? "")}, ImageResourceGroup ${q(managed.resourceGroup ?? "")}, no gallery keys.`);
    }
  }
  if (f.cloud === "aws" && f.ebsAutoscale) {
    driver.push(
      `          # The EBS autoscaler creates and attaches volumes as the instance: give compute nodes an`,
      `          # instance profile whose role allows the EC2 calls in the IAM policy below.`,
      `          IAMInstanceProfile: ${q(f.iamInstanceProfile ?? "arvados-compute-ebs-autoscale")}`,
    );
  }
  if (driver.length > 0) out.push(`        DriverParameters:`, ...driver);
  if (f.cloud === "aws" && f.ebsAutoscale) {
    out.push(`    # /tmp grows on demand: every instance type gets IncludedScratch: 5TB and no AddedScratch.`);
    if (f.instanceTypes && f.instanceTypes.length > 0) {
      out.push(`    InstanceTypes:`);
      for (const t of f.instanceTypes) {
        out.push(`      ${t.name}:`);
        if (t.addedScratch !== undefined) out.push(`        # remove its AddedScratch (${String(t.addedScratch)})`);
        out.push(`        IncludedScratch: 5TB`);
      }
    } else {
      out.push(`    # InstanceTypes:`, `    #   <each instance type>:`, `    #     IncludedScratch: 5TB`);
    }
    out.push(`# IAM policy for that instance profile's role:`);
    for (const line of JSON.stringify(EBS_AUTOSCALE_IAM_POLICY, null, 2).split("\n")) out.push(`#   ${line}`);
  }
  return out.join("\n") + "\n";
}
