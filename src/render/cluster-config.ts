/**
 * The lines of the Arvados cluster config (config.yml) an operator changes after a bake:
 * the image id (and Azure's resource group), and with the EBS autoscaler the instance
 * profile and scratch settings, plus the IAM policy that profile needs. Made by a YAML
 * serializer, comments saying why.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, parse } from "yaml";
import type { Cloud } from "../config/flags.js";
import { CONTROL, shownInComment } from "../config/messages.js";
import { InternalError } from "../errors.js";

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

/** A comment line: values in it shown escaped, so no control character reaches the file. */
const c = (s: string) => shownInComment(s);

/** The image Arvados should boot: Azure's gallery image version when the build published one, else the first. */
export function primaryImage<I extends ImageForConfig>(cloud: Cloud, images: readonly I[]): I | undefined {
  return (cloud === "azure" ? images.find((i) => i.gallery !== undefined && i.galleryImageVersion !== undefined) : undefined) ?? images[0];
}

/**
 * The fragment, made by a YAML serializer (not by hand): every value is a double-quoted
 * scalar whatever it holds, in YAML 1.1 like arvados-server's reader (so "yes" or "on" stay
 * strings). It is parsed back before it is returned: what an operator pastes is what was meant.
 */
export function clusterConfigFragment(f: FragmentInput): string {
  const first = primaryImage(f.cloud, f.images);
  if (!first) return "";
  const gallery = f.cloud === "azure" && first.gallery !== undefined && first.galleryImageVersion !== undefined;
  const cloudVMs: Record<string, unknown> = { ImageID: f.cloud === "azure" ? (first.name ?? first.id) : first.id };
  const driver: Record<string, string> = {};
  // Arvados' Azure driver (lib/cloud/azure) boots …/resourceGroups/<ImageResourceGroup>/…images/<ImageID>,
  // or with both gallery keys …galleries/<name>/images/<ImageID>/versions/<version>.
  if (f.cloud === "azure") driver.ImageResourceGroup = first.resourceGroup ?? f.azureResourceGroup ?? "";
  if (gallery) {
    driver.SharedImageGalleryName = first.gallery ?? "";
    driver.SharedImageGalleryImageVersion = first.galleryImageVersion ?? "";
  }
  if (f.cloud === "aws" && f.ebsAutoscale) driver.IAMInstanceProfile = f.iamInstanceProfile ?? "arvados-compute-ebs-autoscale";
  if (Object.keys(driver).length > 0) cloudVMs.DriverParameters = driver;
  const cluster: Record<string, unknown> = { Containers: { CloudVMs: cloudVMs } };
  const types = f.cloud === "aws" && f.ebsAutoscale && f.instanceTypes && f.instanceTypes.length > 0 ? f.instanceTypes : undefined;
  if (types) cluster.InstanceTypes = Object.fromEntries(types.map((t) => [t.name, { IncludedScratch: "5TB" }]));
  const data = { Clusters: { [f.clusterId]: cluster } };

  const doc = new Document(data, { version: "1.1" });
  doc.commentBefore = " arv-image: the changes to make in config.yml for this image";
  const base = ["Clusters", f.clusterId];
  if (gallery) {
    const managed = f.images.find((i) => i.gallery === undefined && i.name !== undefined);
    if (managed) {
      commentBefore(
        doc,
        [...base, "Containers", "CloudVMs", "DriverParameters", "SharedImageGalleryName"],
        [
          ` Or the managed image the version was published from: ImageID ${c(JSON.stringify(managed.name ?? ""))}, ImageResourceGroup ${c(JSON.stringify(managed.resourceGroup ?? ""))}, no gallery keys.`,
        ],
      );
    }
  }
  if (f.images.length > 1 && f.cloud !== "azure") {
    commentBefore(
      doc,
      [...base, "Containers", "CloudVMs", "ImageID"],
      [` The image exists in ${f.images.length} regions; a cluster in another region uses that region's id:`, ...f.images.map((i) => `   ${c(i.region ?? "?")}: ${c(i.id)}`)],
    );
  }
  if (driver.IAMInstanceProfile !== undefined) {
    commentBefore(
      doc,
      [...base, "Containers", "CloudVMs", "DriverParameters", "IAMInstanceProfile"],
      [" The EBS autoscaler creates and attaches volumes as the instance: give compute nodes an", " instance profile whose role allows the EC2 calls in the IAM policy below."],
    );
  }
  if (f.cloud === "aws" && f.ebsAutoscale) {
    const scratch = " /tmp grows on demand: every instance type gets IncludedScratch: 5TB and no AddedScratch.";
    if (types) {
      commentBefore(doc, [...base, "InstanceTypes"], [scratch]);
      for (const t of types) {
        if (t.addedScratch !== undefined)
          commentBefore(doc, [...base, "InstanceTypes", t.name, "IncludedScratch"], [` remove its AddedScratch (${c(JSON.stringify(t.addedScratch))})`]);
      }
    }
    const trailer = [...(types ? [] : [scratch, " InstanceTypes:", "   <each instance type>:", "     IncludedScratch: 5TB"]), " IAM policy for that instance profile's role:"];
    for (const line of JSON.stringify(EBS_AUTOSCALE_IAM_POLICY, null, 2).split("\n")) trailer.push(`   ${line}`);
    doc.comment = trailer.join("\n");
  }
  // Sizes stay plain, as Arvados' own examples write them.
  if (types)
    for (const t of types) {
      const n = doc.getIn([...base, "InstanceTypes", t.name, "IncludedScratch"], true);
      if (isScalar(n)) n.type = "PLAIN";
    }
  const text = doc.toString({ lineWidth: 0, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
  // Parsed back as arvados-server would read it: anything the serializer could not carry is a bug here, not a surprise in the cluster.
  if (!isDeepStrictEqual(parse(text, { version: "1.1" }), data) || CONTROL.test(text.replace(/\n/g, ""))) {
    throw new InternalError("the config.yml fragment does not read back as written");
  }
  return text;
}

/** Comment lines before the key at `path`. */
function commentBefore(doc: Document, path: readonly string[], lines: readonly string[]): void {
  const map = doc.getIn(path.slice(0, -1), true);
  if (!isMap(map)) return;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = lines.join("\n");
}
