/** Which Packer runs a build, and whether it is new enough. */
import { compareVersions } from "../compare-versions.js";
import { MIN_PACKER } from "../config/resolve.js";
import { EnvironmentError, UsageError } from "../errors.js";
import { accessSync, constants, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { quote } from "../config/messages.js";
import { probePacker } from "./version.js";

export interface Packer {
  bin: string;
  version: string;
}

/** The Packer at `given` (--packer), else `packer` on the PATH; an EnvironmentError when there is none or it is too old. */
export async function findPacker(given: string | undefined): Promise<Packer> {
  const bin = given ?? "packer";
  // Packer writes its log and plugin files under TMPDIR and exits 1 at once when it cannot,
  // before it prints its version: say so, instead of "packer was not found".
  const tmpProblem = tmpdirProblem();
  if (tmpProblem) throw new EnvironmentError(tmpProblem);
  const probe = await probePacker(bin);
  const version = probe.version;
  // A --packer path with nothing runnable there is a bad value (exit 2), like any other flag's.
  if (version === undefined && given !== undefined && !probe.found) {
    throw new UsageError(`--packer ${quote(bin)}: no executable file there; expected the path of a Packer binary, e.g. --packer /usr/bin/packer.`);
  }
  if (version === undefined) {
    const said = probe.stderr.trim().split("\n")[0]?.slice(0, 200);
    throw new EnvironmentError(
      given !== undefined
        ? `--packer ${quote(bin)}: could not run it and read \`packer version\`${said ? ` (it said: ${quote(said)})` : ""}; expected the path of a Packer binary, e.g. --packer /usr/bin/packer.`
        : /tempfile|TMPDIR|temp dir/i.test(said ?? "")
          ? `packer could not start: it cannot write to the temporary directory TMPDIR ${quote(tmpdir())}${said ? ` (it said: ${quote(said)})` : ""}. Set TMPDIR to a writable directory, e.g. TMPDIR=/tmp.`
          : probe.found
            ? `packer on the PATH did not answer \`packer version\`${said ? ` (it said: ${quote(said)})` : ""}. Check that it runs (packer version), or give another with --packer PATH.`
            : `packer was not found on the PATH. Install Packer ${MIN_PACKER} or newer (Debian: apt-get install packer; HashiCorp's releases for 1.9+), or give its path with --packer PATH.`,
    );
  }
  if (compareVersions(version, MIN_PACKER) < 0) {
    throw new EnvironmentError(`${bin} is Packer ${version}; arv-image's HCL2 templates need Packer ${MIN_PACKER} or newer (HCL2 variables, sensitive values, formatdate).`);
  }
  return { bin, version };
}

/** Why the temporary directory (TMPDIR) cannot be used, or undefined. */
export function tmpdirProblem(): string | undefined {
  const dir = tmpdir();
  try {
    if (!statSync(dir).isDirectory())
      return `TMPDIR ${quote(dir)} is not a directory; Packer and arv-image need a writable temporary directory. Set TMPDIR to one, e.g. TMPDIR=/tmp.`;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (e) {
    return `TMPDIR ${quote(dir)} cannot be used (${(e as NodeJS.ErrnoException).code ?? "error"}); Packer and arv-image need a writable temporary directory. Set TMPDIR to one, e.g. TMPDIR=/tmp.`;
  }
}
