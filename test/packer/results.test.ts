/**
 * Artifacts, image ids and errors from `packer build -machine-readable`, over every recording
 * in test/fixtures/packer-output (real Packer 1.6.6 runs and composed cloud runs).
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseLine } from "../../dist/packer/machine-readable.js";
import { ArtifactCollector, ErrorCollector, imagesOf, parseArtifactId } from "../../dist/packer/results.js";
import type { PackerLine } from "../../src/packer/machine-readable.js";
import type { Artifact, ImageRef } from "../../src/packer/results.js";

const FIXTURES = new URL("../fixtures/packer-output/", import.meta.url);
const recording = (name: string): PackerLine[] =>
  readFileSync(new URL(name, FIXTURES), "utf8")
    .split("\n")
    .map((l) => parseLine(l))
    .filter((l): l is PackerLine => l !== undefined);

function collect(name: string): { artifacts: Artifact[]; images: ImageRef[] } {
  const c = new ArtifactCollector();
  for (const line of recording(name)) c.add(line);
  return { artifacts: c.artifacts(), images: c.images() };
}

function errorsOf(name: string): ErrorCollector {
  const c = new ErrorCollector();
  for (const line of recording(name)) c.add(line);
  return c;
}

const SUB = "00000000-1111-2222-3333-444444444444";
const AZ_ID = `/subscriptions/${SUB}/resourceGroups/arvados-images/providers/Microsoft.Compute/images/zzzzz-compute-v1718452800`;
const SIG_ID = `/subscriptions/${SUB}/resourceGroups/arvados-gallery-rg/providers/Microsoft.Compute/galleries/arvados_gallery/images/zzzzz-compute/versions/1.0.1718452800`;
const AZ_MANAGED: ImageRef = { cloud: "azure", id: AZ_ID, resourceGroup: "arvados-images", name: "zzzzz-compute-v1718452800", region: "westus2" };

describe("parseArtifactId", () => {
  it("amazon-ebs: one ImageRef per region:ami pair", () => {
    expect(parseArtifactId("mitchellh.amazonebs", "us-east-1:ami-0a1b2c3d4e5f60718")).toStrictEqual([{ cloud: "aws", id: "ami-0a1b2c3d4e5f60718", region: "us-east-1" }]);
    expect(parseArtifactId("mitchellh.amazonebs", "us-east-1:ami-1,us-west-2:ami-2")).toStrictEqual([
      { cloud: "aws", id: "ami-1", region: "us-east-1" },
      { cloud: "aws", id: "ami-2", region: "us-west-2" },
    ]);
    // The other builders that return builder/amazon/common.Artifact.
    expect(parseArtifactId("mitchellh.amazon.ebssurrogate", "eu-west-1:ami-3")).toStrictEqual([{ cloud: "aws", id: "ami-3", region: "eu-west-1" }]);
    expect(parseArtifactId("mitchellh.amazonebs", "ami-4")).toStrictEqual([{ cloud: "aws", id: "ami-4" }]);
  });

  it("azure-arm: a managed image id gives its resource group and name", () => {
    expect(parseArtifactId("Azure.ResourceManagement.VMImage", "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/images/NAME")).toStrictEqual([
      { cloud: "azure", id: "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/images/NAME", resourceGroup: "RG", name: "NAME" },
    ]);
    // ARM ids are case-insensitive in their fixed segments.
    const lower = "/subscriptions/s/resourcegroups/rg2/providers/microsoft.compute/images/img2";
    expect(parseArtifactId("Azure.ResourceManagement.VMImage", lower)).toStrictEqual([{ cloud: "azure", id: lower, resourceGroup: "rg2", name: "img2" }]);
  });

  it("azure-arm: a gallery image version, a VHD URI, and Packer's placeholder for nothing", () => {
    expect(parseArtifactId("Azure.ResourceManagement.VMImage", SIG_ID)).toStrictEqual([
      { cloud: "azure", id: SIG_ID, resourceGroup: "arvados-gallery-rg", gallery: "arvados_gallery", name: "zzzzz-compute", galleryImageVersion: "1.0.1718452800" },
    ]);
    const vhd = "https://store.blob.core.windows.net/system/Microsoft.Compute/Images/images/packer-osDisk.vhd";
    expect(parseArtifactId("Azure.ResourceManagement.VMImage", vhd)).toStrictEqual([{ cloud: "azure", id: vhd }]);
    expect(parseArtifactId("Azure.ResourceManagement.VMImage", "UNKNOWN ID")).toStrictEqual([]);
  });

  it("googlecompute: the id is the image name", () => {
    expect(parseArtifactId("packer.googlecompute", "arvados-zzzzz-compute-1")).toStrictEqual([{ cloud: "gcp", id: "arvados-zzzzz-compute-1", name: "arvados-zzzzz-compute-1" }]);
  });

  it("unknown builders are 'other'; an empty id is no image", () => {
    expect(parseArtifactId("fnoeding.null", "Null")).toStrictEqual([{ cloud: "other", id: "Null" }]);
    expect(parseArtifactId("mitchellh.amazon.ebsvolume", "us-east-1:vol-1")).toStrictEqual([{ cloud: "other", id: "us-east-1:vol-1" }]);
    expect(parseArtifactId("packer.post-processor.artifice", "")).toStrictEqual([]);
    expect(parseArtifactId("mitchellh.amazonebs", "")).toStrictEqual([]);
  });

  it("imagesOf: an azure OS disk id still yields the managed image from the artifact text, first", () => {
    const uri = "https://store.blob.core.windows.net/images/osdisk.vhd";
    const text = `Azure.ResourceManagement.VMImage:\n\nOSType: Linux\nManagedImageId: ${AZ_ID}\nManagedImageLocation: westus2\nOSDiskUri: ${uri}\n`;
    expect(imagesOf("Azure.ResourceManagement.VMImage", uri, text)).toStrictEqual([AZ_MANAGED, { cloud: "azure", id: uri }]);
    // Other builders' text is not read.
    expect(imagesOf("fnoeding.null", "Null", `ManagedImageId: ${AZ_ID}`)).toStrictEqual([{ cloud: "other", id: "Null" }]);
  });
});

describe("ArtifactCollector over every recording", () => {
  const AMI_US: ImageRef = { cloud: "aws", id: "ami-0a1b2c3d4e5f60718", region: "us-east-1" };
  const AMI_EU: ImageRef = { cloud: "aws", id: "ami-0b2c3d4e5f6071829", region: "eu-west-1" };
  const NULL: ImageRef = { cloud: "other", id: "Null" };
  const expected: Record<string, { images: ImageRef[]; artifacts: number }> = {
    "aws-success.log": { images: [AMI_US], artifacts: 1 },
    "aws-multi-region-duplicate.log": { images: [AMI_EU, AMI_US], artifacts: 1 },
    "no-artifact.log": { images: [], artifacts: 0 },
    "azure-success.log": { images: [AZ_MANAGED], artifacts: 1 },
    "azure-managed-and-gallery.log": {
      images: [
        AZ_MANAGED,
        { cloud: "azure", id: SIG_ID, resourceGroup: "arvados-gallery-rg", gallery: "arvados_gallery", name: "zzzzz-compute", galleryImageVersion: "1.0.1718452800" },
      ],
      artifacts: 1,
    },
    "gcp-success.log": { images: [{ cloud: "gcp", id: "arvados-zzzzz-compute-20240615t120000z", name: "arvados-zzzzz-compute-20240615t120000z" }], artifacts: 1 },
    "null-real.log": { images: [NULL], artifacts: 1 },
    "null-manifest-duplicate-real.log": { images: [NULL], artifacts: 1 },
    "null-artifice-files-real.log": { images: [NULL], artifacts: 2 },
    "two-builds-one-failed-real.log": { images: [NULL], artifacts: 1 },
    "failure-exit-1.log": { images: [], artifacts: 0 },
    "interrupted-real.log": { images: [], artifacts: 0 },
    "validate-error-real.log": { images: [], artifacts: 0 },
    "version-real.log": { images: [], artifacts: 0 },
    "null-ssh-timeout-real.log": { images: [], artifacts: 0 },
    "null-human-real.log": { images: [], artifacts: 0 },
    "null-timestamp-ui-real.log": { images: [], artifacts: 0 },
  };

  it("has an expectation for every recording", () => {
    expect(
      readdirSync(FIXTURES)
        .filter((f) => f.endsWith(".log"))
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: ${want.images.length === 0 ? "no image" : want.images.map((i) => i.id.split("/").at(-1)).join(", ")}`, () => {
      const got = collect(name);
      expect(got.images).toStrictEqual(want.images);
      expect(got.artifacts).toHaveLength(want.artifacts);
    });
  }

  it("amazon-ebs: the whole artifact, with its text unescaped", () => {
    expect(collect("aws-success.log").artifacts).toStrictEqual([
      {
        target: "arvados-compute.amazon-ebs.compute",
        builderId: "mitchellh.amazonebs",
        id: "us-east-1:ami-0a1b2c3d4e5f60718",
        images: [AMI_US],
        description: "AMIs were created:\nus-east-1: ami-0a1b2c3d4e5f60718\n",
        files: [],
      },
    ]);
  });

  it("a post-processor's repeat of the multi-region artifact is reported once", () => {
    const lines = recording("aws-multi-region-duplicate.log");
    expect(lines.find((l) => l.type === "artifact-count")?.data).toEqual(["2"]);
    const [only, ...rest] = collect("aws-multi-region-duplicate.log").artifacts;
    expect(rest).toEqual([]);
    expect(only?.id).toBe("eu-west-1:ami-0b2c3d4e5f6071829,us-east-1:ami-0a1b2c3d4e5f60718");
  });

  it("reads files, an empty id and the build name of each artifact (real artifice run)", () => {
    const { artifacts } = collect("null-artifice-files-real.log");
    expect(artifacts.map((a) => [a.target, a.builderId, a.id, a.files, a.images])).toStrictEqual([
      ["null.compute", "fnoeding.null", "Null", [], [NULL]],
      ["null.compute", "packer.post-processor.artifice", "", ["/tmp/rec/a,b.txt", "/tmp/rec/c.txt"], []],
    ]);
    expect(artifacts[1]?.description).toBe("Created artifact from files: /tmp/rec/a,b.txt, /tmp/rec/c.txt");
    expect(collect("two-builds-one-failed-real.log").artifacts.map((a) => a.target)).toEqual(["null.good"]);
  });

  it("treats the same lines seen twice as one artifact, and skips nil and cut-off artifacts", () => {
    const block = recording("aws-success.log").filter((l) => l.type === "artifact");
    const c = new ArtifactCollector();
    for (const l of [...block, ...block]) c.add(l);
    expect(c.artifacts()).toHaveLength(1);
    expect(c.images()).toStrictEqual([AMI_US]);

    const d = new ArtifactCollector();
    for (const raw of [
      "1,b.amazon-ebs.x,artifact,0,nil",
      "1,b.amazon-ebs.x,artifact,0,end",
      "1,b.amazon-ebs.y,artifact,0,builder-id,mitchellh.amazonebs", // Packer killed before the id
      "1,b.googlecompute.z,artifact,0,builder-id,packer.googlecompute",
      "1,b.amazon-ebs.w,artifact,0,builder-id,mitchellh.amazonebs",
      "1,b.googlecompute.z,artifact,0,id,img-z",
      "1,b.amazon-ebs.w,artifact,0,id,us-east-2:ami-w",
      "1,b.googlecompute.z,artifact,0,end",
      "1,b.amazon-ebs.w,artifact,0,end",
      "1,b.amazon-ebs.w,artifact", // no index: ignored
      "1,,ui,say,--> b.amazon-ebs.w: AMIs were created",
    ]) {
      d.add(parseLine(raw) as PackerLine);
    }
    expect(d.artifacts().map((a: Artifact) => [a.target, a.id])).toEqual([
      ["b.googlecompute.z", "img-z"],
      ["b.amazon-ebs.w", "us-east-2:ami-w"],
    ]);
    expect(d.images()).toStrictEqual([
      { cloud: "gcp", id: "img-z", name: "img-z" },
      { cloud: "aws", id: "ami-w", region: "us-east-2" },
    ]);
  });
});

describe("ErrorCollector", () => {
  it("a failing provisioner (real, exit 1): every error line in order, unescaped", () => {
    const c = errorsOf("failure-exit-1.log");
    expect(c.errors()).toEqual([
      "==> arvados-compute.null.compute: E: Unable to locate package nvidia-driver",
      "Build 'arvados-compute.null.compute' errored after 8 milliseconds 935 microseconds: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]",
      "\n==> Some builds didn't complete successfully and had errors:",
      "Script exited with non-zero exit status: 3.Allowed exit codes are: [0]",
      "--> arvados-compute.null.compute: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]",
    ]);
    expect(c.buildErrors()).toEqual([{ target: "arvados-compute.null.compute", message: "Script exited with non-zero exit status: 3.Allowed exit codes are: [0]" }]);
    expect(c.dropped).toBe(0);
  });

  it("names the failed build when another one succeeded", () => {
    expect(errorsOf("two-builds-one-failed-real.log").buildErrors()).toEqual([
      { target: "null.bad", message: "Script exited with non-zero exit status: 3.Allowed exit codes are: [0]" },
    ]);
  });

  it("an interrupt, a validate error, script stderr on success, and nothing at all", () => {
    expect(errorsOf("interrupted-real.log").errors()).toEqual(["Cancelling build after receiving interrupt"]);
    expect(errorsOf("validate-error-real.log").errors()).toEqual([
      'Error: Unsupported argument\n\n  on bad.pkr.hcl line 3:\n  (source code not available)\n\nAn argument named "no_such_option" is not expected here.\n\n',
    ]);
    // A script's stderr is a ui,error line too, even when the build succeeds.
    expect(errorsOf("null-real.log").errors()).toEqual(["==> arvados-compute.null.compute: to stderr, with, commas"]);
    expect(errorsOf("null-real.log").buildErrors()).toEqual([]);
    expect(errorsOf("aws-multi-region-duplicate.log").errors()).toEqual([
      "==> arvados-compute.amazon-ebs.compute: debconf: delaying package configuration, since apt-utils is not installed",
    ]);
    expect(errorsOf("version-real.log").errors()).toEqual([]);
  });

  it("keeps only the last messages of a chatty stderr, and counts the rest", () => {
    const c = new ErrorCollector(3);
    for (let i = 0; i < 10; i++) c.add(parseLine(`1,,ui,error,line ${i}`) as PackerLine);
    c.add(parseLine("1,b.null.x,error,failed%!(PACKER_COMMA) badly") as PackerLine);
    expect(c.errors()).toEqual(["line 8", "line 9", "failed, badly"]);
    expect(c.dropped).toBe(8);
    expect(c.buildErrors()).toEqual([{ target: "b.null.x", message: "failed, badly" }]);
  });
});
