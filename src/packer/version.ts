/** Finds packer and reads its version. */
import { execFile } from "node:child_process";
import { packerEnvironment } from "./environment.js";

export function parsePackerVersion(output: string): string | undefined {
  return /Packer v?(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** `packer version` of the packer on PATH (or at `bin`), or undefined when there is none. */
export function detectPackerVersion(bin = "packer"): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ["version"],
      // The same allow-listed environment as every other Packer run.
      { env: packerEnvironment(process.env, []), timeout: 15_000, encoding: "utf8" },
      (err, stdout) => resolve(err ? undefined : parsePackerVersion(stdout)),
    );
  });
}
