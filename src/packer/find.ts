/** Which Packer runs a build, and whether it is new enough. */
import { compareVersions } from "../compare-versions.js";
import { MIN_PACKER } from "../config/resolve.js";
import { EnvironmentError } from "../errors.js";
import { detectPackerVersion } from "./version.js";

export interface Packer {
  bin: string;
  version: string;
}

/** The Packer at `given` (--packer), else `packer` on the PATH; an EnvironmentError when there is none or it is too old. */
export async function findPacker(given: string | undefined): Promise<Packer> {
  const bin = given ?? "packer";
  const version = await detectPackerVersion(bin);
  if (version === undefined) {
    throw new EnvironmentError(
      given !== undefined
        ? `--packer ${JSON.stringify(bin)}: could not run it and read \`packer version\`; expected the path of a Packer binary, e.g. --packer /usr/bin/packer.`
        : `packer was not found on the PATH. Install Packer ${MIN_PACKER} or newer (Debian: apt-get install packer; HashiCorp's releases for 1.9+), or give its path with --packer PATH.`,
    );
  }
  if (compareVersions(version, MIN_PACKER) < 0) {
    throw new EnvironmentError(`${bin} is Packer ${version}; arv-image's HCL2 templates need Packer ${MIN_PACKER} or newer (HCL2 variables, sensitive values, formatdate).`);
  }
  return { bin, version };
}
