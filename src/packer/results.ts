/**
 * What a `packer build -machine-readable` run produced: the artifacts (and the cloud images
 * inside them) and the errors Packer reported. Fed line by line; keeps no raw output.
 */
import type { PackerLine } from "./machine-readable.js";

export type ImageCloud = "aws" | "azure" | "gcp" | "other";

export interface ImageRef {
  cloud: ImageCloud;
  /** AMI id, full Azure resource id (or VHD URI), GCE image name, or the builder's id as is. */
  id: string;
  /** AWS region; for Azure, the managed image's location when the artifact text gives it. */
  region?: string;
  /** Azure: the resource group of the managed image or of the gallery. */
  resourceGroup?: string;
  /** Azure: managed image name or gallery image definition; GCP: the image name. */
  name?: string;
  /** Azure Shared Image Gallery (compute gallery) name, for a gallery image version. */
  gallery?: string;
  /** Azure gallery image version, e.g. "1.0.0". */
  galleryImageVersion?: string;
}

export interface Artifact {
  /** The build that made it, e.g. "arvados-compute.amazon-ebs.compute". */
  target: string;
  builderId: string;
  id: string;
  images: ImageRef[];
  /** The artifact's own text (Packer's `string` item), e.g. "AMIs were created:\n…". */
  description: string;
  files: string[];
}

// Every builder that returns builder/amazon/common.Artifact: "region:ami" pairs, sorted, comma-joined.
const AMI_BUILDERS = new Set(["mitchellh.amazonebs", "mitchellh.amazon.ebssurrogate", "mitchellh.amazon.instance", "mitchellh.amazon.chroot"]);
const AZURE_BUILDER = "Azure.ResourceManagement.VMImage";
const GCE_BUILDER = "packer.googlecompute";

// ARM resource ids are case-insensitive in their fixed segments.
const AZURE_MANAGED_IMAGE = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/images\/([^/]+)$/i;
const AZURE_GALLERY_VERSION = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/galleries\/([^/]+)\/images\/([^/]+)\/versions\/([^/]+)$/i;

/**
 * amazon-ebs (builder id "mitchellh.amazonebs"): "us-east-1:ami-1,us-west-2:ami-2" → one
 * ImageRef per region; azure-arm ("Azure.ResourceManagement.VMImage"): managed image resource
 * id "/subscriptions/…/resourceGroups/RG/providers/Microsoft.Compute/images/NAME" →
 * {resourceGroup, name, id: full id}; a gallery image version id → {resourceGroup, gallery,
 * name: image definition, galleryImageVersion}; googlecompute ("packer.googlecompute"): image
 * name. Unknown builders → cloud "other". An empty id means no image: [].
 */
export function parseArtifactId(builderId: string, id: string): ImageRef[] {
  if (id === "") return [];
  if (AMI_BUILDERS.has(builderId)) {
    return id
      .split(",")
      .filter((part) => part !== "")
      .map((part): ImageRef => {
        const colon = part.indexOf(":");
        return colon > 0 ? { cloud: "aws", id: part.slice(colon + 1), region: part.slice(0, colon) } : { cloud: "aws", id: part };
      });
  }
  if (builderId === AZURE_BUILDER) {
    // packer-plugin-azure's Artifact.Id() falls back to this placeholder when nothing was captured.
    if (id === "UNKNOWN ID") return [];
    const managed = AZURE_MANAGED_IMAGE.exec(id);
    if (managed) return [{ cloud: "azure", id, resourceGroup: managed[1], name: managed[2] }];
    const version = AZURE_GALLERY_VERSION.exec(id);
    if (version) {
      const [, resourceGroup, gallery, name, galleryImageVersion] = version as unknown as [string, string, string, string, string];
      return [{ cloud: "azure", id, resourceGroup, gallery, name, galleryImageVersion }];
    }
    return [{ cloud: "azure", id }]; // an OS disk or VHD URI
  }
  if (builderId === GCE_BUILDER) return [{ cloud: "gcp", id, name: id }];
  return [{ cloud: "other", id }];
}

/**
 * The images an artifact stands for. For azure-arm, Id() is only one of several results
 * (the OS disk URI wins over the managed image, the managed image over the gallery version),
 * so the managed image and gallery version are also read from the artifact's text, as
 * packer-plugin-azure's Artifact.String() prints them ("ManagedImageId: …").
 */
export function imagesOf(builderId: string, id: string, description: string): ImageRef[] {
  const refs = parseArtifactId(builderId, id);
  if (builderId !== AZURE_BUILDER) return refs;
  const fields = new Map<string, string>();
  for (const line of description.split("\n")) {
    const m = /^(\w+): (.+)$/.exec(line);
    if (m) fields.set(m[1] as string, m[2] as string);
  }
  for (const key of ["ManagedImageId", "ManagedImageSharedImageGalleryId"]) {
    const other = fields.get(key);
    if (other !== undefined) refs.push(...parseArtifactId(builderId, other));
  }
  const location = fields.get("ManagedImageLocation");
  // What Arvados can boot from first: managed image (ImageID + ImageResourceGroup), then gallery version, then URIs.
  const rank = (r: ImageRef) => (r.gallery !== undefined ? 1 : r.name !== undefined ? 0 : 2);
  return uniqueImages(refs)
    .map((r) => (location !== undefined && r.id === fields.get("ManagedImageId") ? { ...r, region: location } : r))
    .sort((a, b) => rank(a) - rank(b));
}

function uniqueImages(refs: ImageRef[]): ImageRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.cloud}\0${r.region ?? ""}\0${r.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface PendingArtifact {
  target: string;
  builderId?: string;
  id?: string;
  description: string;
  files: string[];
  nil: boolean;
  ended: boolean;
}

/**
 * Feed every PackerLine; collects `artifact` lines (artifact,N,builder-id|id|string|
 * files-count|file|end…) per target+index, ignores the rest. artifacts() de-duplicates
 * artifacts that repeat the same builder id + id (post-processors may repeat them) and
 * images that repeat.
 */
export class ArtifactCollector {
  readonly #all: PendingArtifact[] = [];
  readonly #open = new Map<string, PendingArtifact>();

  add(line: PackerLine): void {
    if (line.type !== "artifact") return;
    const [index, key, ...rest] = line.data;
    if (index === undefined || key === undefined) return;
    const slot = `${line.target}\0${index}`;
    let a = this.#open.get(slot);
    // The same target+index after its "end" (e.g. two runs' output in one log) is a new artifact.
    if (a === undefined || a.ended) {
      a = { target: line.target, description: "", files: [], nil: false, ended: false };
      this.#open.set(slot, a);
      this.#all.push(a);
    }
    // Packer escapes commas inside an item, so rest has one item; join in case it did not.
    const value = rest.join(",");
    switch (key) {
      case "builder-id":
        a.builderId = value;
        break;
      case "id":
        a.id = value;
        break;
      case "string":
        a.description = value;
        break;
      case "file":
        // file,<j>,<path>
        a.files.push(rest.slice(1).join(","));
        break;
      case "nil":
        // A builder or post-processor that produced nothing (e.g. skip_create_ami).
        a.nil = true;
        break;
      case "end":
        a.ended = true;
        break;
      default:
      // files-count, and keys later Packers may add.
    }
  }

  artifacts(): Artifact[] {
    const seen = new Set<string>();
    const out: Artifact[] = [];
    for (const a of this.#all) {
      // Without a builder id or id the listing was cut off (Packer killed while printing it).
      if (a.nil || a.builderId === undefined || a.id === undefined) continue;
      const key = `${a.builderId}\0${a.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        target: a.target,
        builderId: a.builderId,
        id: a.id,
        images: imagesOf(a.builderId, a.id, a.description),
        description: a.description,
        files: [...a.files],
      });
    }
    return out;
  }

  images(): ImageRef[] {
    return uniqueImages(this.artifacts().flatMap((a) => a.images));
  }
}

export interface BuildError {
  /** The build name, e.g. "arvados-compute.amazon-ebs.compute". */
  target: string;
  message: string;
}

/**
 * Errors Packer reported: "<target>,error,<msg>" lines and "ui,error" lines, unescaped, in
 * order (for the final error message). ui,error lines include everything a provisioning
 * script wrote to stderr, so only the last `limit` messages are kept; buildErrors() has just
 * the one-per-failed-build summaries Packer prints at the end.
 */
export class ErrorCollector {
  readonly #limit: number;
  #messages: string[] = [];
  #dropped = 0;
  readonly #builds: BuildError[] = [];

  constructor(limit = 1000) {
    this.#limit = Math.max(1, limit);
  }

  add(line: PackerLine): void {
    if (line.type === "error") {
      const message = line.data.join(",");
      this.#builds.push({ target: line.target, message });
      this.#keep(message);
    } else if (line.type === "ui" && line.data[0] === "error") {
      this.#keep(line.data.slice(1).join(","));
    }
  }

  errors(): string[] {
    return this.#messages.slice(-this.#limit);
  }

  /** How many early messages were dropped to stay within the limit. */
  get dropped(): number {
    return this.#dropped + Math.max(0, this.#messages.length - this.#limit);
  }

  buildErrors(): BuildError[] {
    return this.#builds.map((e) => ({ ...e }));
  }

  #keep(message: string): void {
    this.#messages.push(message);
    // Trim in batches so a chatty stderr costs O(1) per line, not a shift of the whole list.
    if (this.#messages.length >= 2 * this.#limit) {
      const excess = this.#messages.length - this.#limit;
      this.#messages = this.#messages.slice(excess);
      this.#dropped += excess;
    }
  }
}
