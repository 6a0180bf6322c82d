/**
 * --arvados-version and --base-os → what the image is built from: the release table's pins
 * (src/releases/versions.ts) and the base distribution's official images (src/releases/base-os.ts).
 * Adds warnings, and problems for combinations that cannot be built.
 */
import { BASE_OSES, type BaseOs } from "../releases/base-os.js";
import { NEWEST_RELEASE, arvadosPinVersion, releaseOf, type ThirdPartyPins } from "../releases/versions.js";
import { flagByKey } from "./flags.js";
import type { Options } from "./schema.js";
import type { BaseOsImageKey } from "./resolved.js";

/** The release the image is for, and where each of its pins came from. */
export interface ReleaseChoice {
  /** --arvados-version (or its default, the newest release arv-image knows). */
  readonly arvadosVersion: string;
  /** The series whose table entry gave the pins, e.g. "3.2". */
  readonly series: string;
  /** False when the version's series is not in the table (the newest entry's pins are used). */
  readonly known: boolean;
  /** Where the pins came from, as `config` shows it: "release 3.2 table" or "newest known (3.2), release 3.3.0 unknown". */
  readonly pinsSource: string;
  readonly pins: ThirdPartyPins;
  /** The Arvados packages' `Pin: version`, or undefined when they are not pinned. */
  readonly arvadosPin: string | undefined;
  /** Why there is no Arvados pin, when there is none. */
  readonly noArvadosPin?: string;
}

export function chooseRelease(o: Options, pinPackages: boolean, given: ReadonlySet<string>, warnings: string[]): ReleaseChoice {
  const version = o.arvadosVersion;
  const entry = releaseOf(version);
  const series = entry?.series ?? NEWEST_RELEASE.series;
  if (entry === undefined) {
    warnings.push(
      `--arvados-version ${version}: arv-image does not know release ${version.split(".").slice(0, 2).join(".")}; the newest known release's third-party pins (${NEWEST_RELEASE.series}) are used. Check them against Arvados' own (tools/ansible/roles of that release), and add the release to src/releases/versions.ts.`,
    );
  }
  // Arvados' own rule (roles/arvados_apt): no pin when the suite ends in -dev or -testing.
  const devSuite = /-(dev|testing)$/.test(o.reposuffix);
  let noArvadosPin: string | undefined;
  if (devSuite) noArvadosPin = `the ${o.reposuffix} suite is not pinned`;
  else if (!pinPackages) noArvadosPin = "--no-pin-packages";
  if (devSuite && given.has("arvadosVersion")) {
    warnings.push(
      `--arvados-version ${version} does not pin the Arvados packages with --reposuffix ${o.reposuffix} (a ${o.reposuffix} suite carries development builds, which Arvados never pins); it still chooses the third-party pins.`,
    );
  }
  return {
    arvadosVersion: version,
    series,
    known: entry !== undefined,
    pinsSource: entry !== undefined ? `release ${series} table` : `newest known (${series}), release ${version} unknown`,
    pins: (entry ?? NEWEST_RELEASE).pins,
    arvadosPin: noArvadosPin === undefined ? arvadosPinVersion(version) : undefined,
    ...(noArvadosPin !== undefined ? { noArvadosPin } : {}),
  };
}

/** ROCm only where AMD publishes packages. */
export function rocmRule(o: Options, base: BaseOs, problems: string[]): void {
  if (!o.amdRocmSupport || base.rocm) return;
  const where = Object.values(BASE_OSES)
    .filter((b) => b.rocm)
    .map((b) => b.name);
  problems.push(
    `--amd-rocm-support cannot be built on --base-os ${JSON.stringify(base.name)}: AMD publishes ROCm packages for Debian 12 (through its Ubuntu 22.04 repository), Ubuntu 22.04 and Ubuntu 24.04 only; expected --base-os ${where.slice(0, -1).join(", ")} or ${where.at(-1) ?? ""} with it, e.g. --base-os ubuntu-24.04 --amd-rocm-support, or no --amd-rocm-support.`,
  );
}

/**
 * The source image of each cloud from --base-os, where not given; a warning where a given one
 * contradicts an explicitly given --base-os (AWS: preflight reads the AMI's name and says so).
 */
export function baseOsImages(
  o: Options,
  base: BaseOs,
  given: ReadonlySet<string>,
  set: (key: BaseOsImageKey, value: string) => void,
  cloud: string | undefined,
  warnings: string[],
): void {
  const az = base.azure;
  const azGiven = (["azureImagePublisher", "azureImageOffer", "azureSku"] as const).filter((k) => given.has(k));
  if (o.azureImagePublisher === undefined) set("azureImagePublisher", az.publisher);
  if (o.azureImageOffer === undefined) set("azureImageOffer", az.offer);
  if (o.azureSku === undefined) set("azureSku", az.sku);
  if (cloud === "azure" && azGiven.length > 0 && given.has("baseOs")) {
    const urn = `${o.azureImagePublisher ?? az.publisher}:${o.azureImageOffer ?? az.offer}:${o.azureSku ?? az.sku}`;
    const mine = `${az.publisher}:${az.offer}:${az.sku}`;
    if (urn.toLowerCase() !== mine.toLowerCase()) {
      warnings.push(
        `--base-os ${base.name} is ${mine} on Azure, but ${azGiven.map((k) => `--${flagByKey(k).name}`).join(", ")} make${azGiven.length === 1 ? "s" : ""} the source image ${urn}: the given image is used; the scripts adapt to whatever it runs, but check that it is ${base.title}, or drop --base-os.`,
      );
    }
  }
  const g = base.gcp;
  const gGiven = (["gcpSourceImageFamily", "gcpSourceImageProject"] as const).filter((k) => given.has(k));
  if (o.gcpSourceImageFamily === undefined) set("gcpSourceImageFamily", g.family);
  if (o.gcpSourceImageProject === undefined) set("gcpSourceImageProject", g.project);
  if (cloud === "gcp" && gGiven.length > 0 && given.has("baseOs") && ((o.gcpSourceImageFamily ?? g.family) !== g.family || (o.gcpSourceImageProject ?? g.project) !== g.project)) {
    warnings.push(
      `--base-os ${base.name} is image family ${g.family} of project ${g.project} on GCP, but ${gGiven.map((k) => `--${flagByKey(k).name}`).join(", ")} choose${gGiven.length === 1 ? "s" : ""} family ${o.gcpSourceImageFamily ?? g.family} of ${o.gcpSourceImageProject ?? g.project}: the given image is used; check that it is ${base.title}, or drop --base-os.`,
    );
  }
}
