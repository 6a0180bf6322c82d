/**
 * Rules between flags: which cloud, the EBS autoscaler's parameters, AMI copies, and what
 * --mirror names. Each adds one paragraph per problem to `problems`.
 */
import { basename } from "node:path";
import { CLOUDS, FLAGS, flagByKey, type Cloud } from "./flags.js";
import { badValue, flagText, missing, quote } from "./messages.js";
import type { Options } from "./schema.js";
import { MIRRORS, type UrlKey } from "../releases/versions.js";

export const STOCK_TEMPLATES: Readonly<Record<string, Cloud>> = {
  "arvados-images-aws.json": "aws",
  "arvados-images-azure.json": "azure",
};

export function chooseCloud(o: Options, given: Set<string>, problems: string[]): Cloud | undefined {
  const byCloud = new Map<Cloud, string[]>();
  for (const f of FLAGS) {
    if (!f.cloud || !given.has(f.key)) continue;
    // The transitional --no-aws-ebs-autoscale asks for nothing AWS-specific.
    if (f.kind === "negatable" && o[f.key] === false) continue;
    byCloud.set(f.cloud, [...(byCloud.get(f.cloud) ?? []), flagText(f)]);
  }
  const jsonCloud = o.jsonFile !== undefined ? STOCK_TEMPLATES[basename(o.jsonFile)] : undefined;
  const named = o.cloud ?? jsonCloud;
  const why = o.cloud !== undefined ? `--cloud ${o.cloud}` : `--json-file ${basename(o.jsonFile ?? "")}`;
  if (o.cloud !== undefined && jsonCloud !== undefined && o.cloud !== jsonCloud) {
    problems.push(
      `--cloud ${o.cloud} and --json-file ${quote(o.jsonFile)} disagree: that stock template builds for ${jsonCloud}. Drop --json-file (with --cloud it is not needed) or give --cloud ${jsonCloud}.`,
    );
    return undefined;
  }
  if (named !== undefined) {
    const foreign = [...byCloud].filter(([c]) => c !== named);
    if (foreign.length > 0) {
      const list = foreign.map(([c, fl]) => `${fl.join(", ")} (${c})`).join("; ");
      const n = foreign.reduce((sum, [, fl]) => sum + fl.length, 0);
      problems.push(
        `${why} builds for ${named}, but ${list} ${n === 1 ? "belongs" : "belong"} to another cloud. One build targets one cloud: drop those flags, or choose the cloud they belong to.`,
      );
    }
    return named;
  }
  if (byCloud.size > 1) {
    const list = [...byCloud].map(([c, fl]) => `${c}: ${fl.join(", ")}`).join("; ");
    problems.push(`Flags of more than one cloud were given (${list}). One build targets one cloud: keep one cloud's flags, and name it with --cloud aws|azure|gcp.`);
    return undefined;
  }
  const [only] = byCloud.keys();
  if (only !== undefined) return only;
  if (o.jsonFile !== undefined) return undefined; // legacy template, no cloud flags
  problems.push(`No cloud was chosen: give --cloud ${CLOUDS.join("|")} (or build.sh's --json-file arvados-images-aws.json), e.g. --cloud aws.`);
  return undefined;
}

// A URL the scripts can put in a deb822 source and pass to curl as one word.
const MIRROR_URL = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%!$&*+,;=:@/-]*)?$/;

/** WHATWG URL parsing, as the renderer sees it: a port over 65535 or a host like "a..b" fails here, not later. */
function parsesAsUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.hostname !== "" && !u.hostname.split(".").slice(0, -1).includes("") && (u.port === "" || Number(u.port) >= 1);
  } catch {
    return false;
  }
}

export function readMirrors(o: Options, problems: string[]): Partial<Record<UrlKey, string>> {
  const f = flagByKey("mirror");
  const mirrors: Partial<Record<UrlKey, string>> = {};
  const seen = new Set<string>();
  for (const item of o.mirror) {
    const eq = item.indexOf("=");
    const name = eq === -1 ? item : item.slice(0, eq);
    const url = eq === -1 ? "" : item.slice(eq + 1);
    const m = MIRRORS.find((x) => x.name === name);
    if (!m) problems.push(badValue(f, item, `${quote(name)} is not a source arv-image downloads from`));
    else if (!MIRROR_URL.test(url)) problems.push(badValue(f, item, `${quote(url)} is not an http:// or https:// URL without spaces or quotes`));
    else if (!parsesAsUrl(url)) problems.push(badValue(f, item, `${quote(url)} is not a valid URL (a port is 1–65535, a host name has no empty labels)`));
    else if (seen.has(name)) problems.push(badValue(f, item, `${name} is given twice`));
    else {
      seen.add(name);
      mirrors[m.key] = url.replace(/\/+$/, "");
    }
  }
  return mirrors;
}

/**
 * Azure regions belong to one cloud: US Government regions start with usgov or usdod, China's
 * start with china, every other is Public. A location of another cloud fails late, in the paid build
 * (the plugin does not check it), so say so now. A warning, not an error: a new region may
 * not follow the pattern.
 */
export function azureLocationRule(o: Options, warnings: string[]): void {
  const loc = o.azureLocation.toLowerCase();
  const cloudOfLocation = /^(usgov|usdod)/.test(loc) ? "USGovernment" : /^china/.test(loc) ? "China" : "Public";
  if (cloudOfLocation !== o.azureCloudEnvironment) {
    warnings.push(
      `--azure-location ${JSON.stringify(o.azureLocation)} looks like a region of Azure ${cloudOfLocation}, but --azure-cloud-environment is ${o.azureCloudEnvironment}: the build would fail to find it. ${o.azureCloudEnvironment === "USGovernment" ? "US Government regions are usgov*/usdod*, e.g. usgovvirginia." : o.azureCloudEnvironment === "China" ? "China's regions are china*, e.g. chinanorth3." : "Give --azure-cloud-environment " + cloudOfLocation + " for it."}`,
    );
  }
}

/** The gallery flags only mean something with --azure-gallery, which needs an image definition to add a version to. */
export function azureGalleryRules(o: Options, given: Set<string>, problems: string[]): void {
  const dependent = (["azureGalleryImage", "azureGalleryVersion", "azureGalleryResourceGroup", "azureReplicationRegions"] as const)
    .filter((k) => given.has(k))
    .map((k) => flagByKey(k));
  if (o.azureGallery === undefined) {
    if (dependent.length > 0) {
      problems.push(
        `${dependent.map(flagText).join(", ")} ${dependent.length > 1 ? "describe" : "describes"} a gallery image version, which is only published with --azure-gallery. Add --azure-gallery NAME (e.g. --azure-gallery arvados_images), or drop ${dependent.length > 1 ? "them" : "it"}.`,
      );
    }
    return;
  }
  if (o.azureGalleryImage === undefined) problems.push(missing(flagByKey("azureGalleryImage"), "with --azure-gallery (the image definition the version is added to)"));
  const regions = o.azureReplicationRegions;
  if (regions !== undefined && new Set(regions).size !== regions.length)
    problems.push(badValue(flagByKey("azureReplicationRegions"), regions.join(","), "a location is listed twice"));
}

export function amiRegionRules(o: Options, problems: string[]): void {
  const regions = o.awsAmiRegions;
  if (regions === undefined) return;
  const f = flagByKey("awsAmiRegions");
  if (regions.includes(o.awsRegion)) problems.push(badValue(f, regions.join(","), `${o.awsRegion} is --aws-region, where the AMI is built anyway`));
  else if (new Set(regions).size !== regions.length) problems.push(badValue(f, regions.join(","), "a region is listed twice"));
}

export function ebsRules(o: Options, given: Set<string>, problems: string[]): void {
  const ebsFlags = FLAGS.filter((f) => f.group === "ebs" && f.key !== "awsEbsAutoscale" && given.has(f.key));
  if (!o.awsEbsAutoscale) {
    if (ebsFlags.length > 0) {
      problems.push(
        `${ebsFlags.map(flagText).join(", ")} ${ebsFlags.length > 1 ? "configure" : "configures"} the EBS autoscaler, which is only installed with --aws-ebs-autoscale. Add --aws-ebs-autoscale, or drop ${ebsFlags.length > 1 ? "them" : "it"}.`,
      );
    }
    return;
  }
  const type = o.ebsVolumeType;
  if (o.ebsVolumeIops !== undefined) {
    const f = flagByKey("ebsVolumeIops");
    if (type === "gp3" && (o.ebsVolumeIops < 3000 || o.ebsVolumeIops > 16000)) problems.push(badValue(f, o.ebsVolumeIops, "gp3 volumes take 3000–16000 IOPS"));
    if (!["gp3", "io1", "io2"].includes(type)) problems.push(badValue(f, o.ebsVolumeIops, `${type} volumes have no provisioned IOPS (only gp3, io1, io2 do)`));
  }
  if (o.ebsVolumeThroughput !== undefined && type !== "gp3") {
    problems.push(badValue(flagByKey("ebsVolumeThroughput"), o.ebsVolumeThroughput, `throughput is only set on gp3 volumes, not ${type}`));
  } else if (o.ebsVolumeThroughput !== undefined && type === "gp3") {
    // EC2 refuses a gp3 volume with more than 0.25 MiB/s per provisioned IOPS (CreateVolume fails at boot).
    const iops = o.ebsVolumeIops ?? 3000;
    if (o.ebsVolumeThroughput > iops / 4) {
      problems.push(
        badValue(
          flagByKey("ebsVolumeThroughput"),
          o.ebsVolumeThroughput,
          `gp3 allows at most 0.25 MiB/s per IOPS, so ${Math.floor(iops / 4)} with ${iops} IOPS; raise --ebs-volume-iops to ${o.ebsVolumeThroughput * 4} or more`,
        ),
      );
    }
  }
  if (o.ebsMaxLogicalSize < o.ebsMaxVolumeSize) {
    problems.push(badValue(flagByKey("ebsMaxLogicalSize"), o.ebsMaxLogicalSize, `smaller than --ebs-max-volume-size ${o.ebsMaxVolumeSize}`));
  }
}

/**
 * The AMI maps ephemeral0/1 to /dev/xvdb and /dev/xvdc (templates/packer/aws.pkr.hcl.hbs), and
 * EC2 takes /dev/sdX and /dev/xvdX for the same device: a root device there makes the build
 * fail at CreateImage, twenty minutes in.
 */
export function rootDeviceRule(o: Options, problems: string[]): void {
  const d = o.awsRootDevice;
  if (d !== undefined && /^\/dev\/(sd|xvd)[bc][0-9]*$/.test(d)) {
    problems.push(
      badValue(
        flagByKey("awsRootDevice"),
        d,
        "the image maps the instance stores ephemeral0 and ephemeral1 to /dev/xvdb and /dev/xvdc (/dev/sdb and /dev/sdc to EC2), so the root volume cannot be there",
      ),
    );
  }
}

/**
 * Packer creates the staging directory and uploads the scripts as the SSH user, before any
 * sudo: --workdir must be somewhere that user can create directories. A system directory
 * ("/", /etc, /usr…) would fail on the builder, after the instance was paid for.
 */
export function workdirRule(o: Options, sshUser: string, problems: string[]): void {
  const w = o.workdir.replace(/\/+$/, "") || "/";
  const roots = ["/tmp", "/var/tmp", "/dev/shm", sshUser === "root" ? "/root" : `/home/${sshUser}`];
  if (!roots.some((r) => w === r || w.startsWith(r + "/"))) {
    problems.push(
      badValue(
        flagByKey("workdir"),
        o.workdir,
        `the SSH user ${sshUser} stages files there before any sudo, so it must be a directory that user can create: under ${roots.join(", ")}`,
      ),
    );
  }
}
