/** `packer init` (when the build directory names its plugins) and `packer validate`, run to completion. */
import { PackerError } from "../errors.js";
import type { Progress } from "../io.js";
import type { Packer } from "./find.js";
import { InterruptedError } from "../interrupt.js";
import { forwardSignals, startPacker } from "./run.js";

/** Runs a short Packer command to completion, collecting its output. */
async function packerStep(packer: Packer, args: string[], cwd: string, env: Record<string, string>, scrub: (s: string) => string): Promise<{ code: number; output: string }> {
  let output = "";
  const p = startPacker({ bin: packer.bin, args, cwd, env, onStdout: (c) => (output += c.toString("utf8")), onStderr: (c) => (output += c.toString("utf8")) });
  const sig = forwardSignals(p, { onFirst: () => {}, onRepeat: () => {} });
  try {
    const code = await p.exited;
    const first = sig.first();
    // Packer got the signal too and has exited: the run stops here as interrupted.
    if (first) throw new InterruptedError(first, `packer ${args[0] ?? ""}`);
    return { code, output: scrub(output) };
  } finally {
    sig.stop();
  }
}

export interface ValidateStep {
  /** The build directory has versions.pkr.hcl (Packer >= 1.7): `packer init` installs its plugin first. */
  init: boolean;
  /** The cloud whose plugin init installs (for the message). */
  cloud: string;
  /** Show what packer validate said even when it passed. */
  verbose?: boolean;
}

export async function initAndValidate(
  packer: Packer,
  dir: string,
  step: ValidateStep,
  env: Record<string, string>,
  scrub: (s: string) => string,
  progress: Progress,
): Promise<void> {
  if (step.init) {
    progress.stderr(`arv-image: packer init -upgrade (installs the newest ${step.cloud} plugin that versions.pkr.hcl allows)\n`);
    // -upgrade: without it, an older plugin already installed that still satisfies the
    // constraint is kept silently (azure 2.1.x, for one, creates Basic public IPs that Azure
    // has refused since March 2025).
    const init = await packerStep(packer, ["init", "-upgrade", "."], dir, env, scrub);
    if (init.code !== 0) throw new PackerError(`packer init failed (exit ${init.code}):\n${init.output.trimEnd()}`, init.code);
  }
  const v = await packerStep(packer, ["validate", "."], dir, env, scrub);
  if (v.code !== 0) throw new PackerError(`packer validate failed (exit ${v.code}):\n${v.output.trimEnd()}`, v.code);
  if (step.verbose === true && v.output.trim() !== "") progress.stderr(`arv-image: packer validate said:\n${v.output.trimEnd()}\n`);
}
