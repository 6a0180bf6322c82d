/** A site's own JSON template, run as it is with build.sh's variables (argument vector, no shell). */
import { resolve } from "node:path";
import type { ResolvedConfig } from "../config/resolve.js";
import { PackerError } from "../errors.js";
import type { Progress } from "../io.js";
import { packerEnvironment } from "../packer/environment.js";
import type { Packer } from "../packer/find.js";
import { LineSplitter } from "../packer/machine-readable.js";
import { forwarded, forwardSignals, signalExit, startPacker } from "../packer/run.js";

export async function runLegacy(c: ResolvedConfig, packer: Packer, progress: Progress, scrub: (s: string) => string): Promise<void> {
  const t = c.legacyTemplate;
  if (!t) return;
  progress.stderr(
    `arv-image: notice: running your own JSON template ${t.path} the way build.sh did (legacy pass-through). arv-image's native path renders HCL2 with checked values: replace --json-file with --cloud aws|azure|gcp (see arv-image render).\n`,
  );
  const args = ["build", ...(c.options.debug ? ["-debug"] : []), ...t.variables.flatMap(([k, v]) => ["-var", `${k}=${v}`]), resolve(t.path)];
  const env = packerEnvironment(
    process.env,
    c.secretsFiles.map((s) => s.env),
  );
  // Whole lines, so that a secret split across two reads is still found and replaced.
  const splitter = () => new LineSplitter((line, whole) => progress.stderr(scrub(line) + (whole ? "\n" : "")));
  const out = splitter();
  const err = splitter();
  const p = startPacker({ bin: packer.bin, args, cwd: process.cwd(), env, interactive: c.options.debug, onStdout: (b) => out.push(b), onStderr: (b) => err.push(b) });
  const sig = forwardSignals(p, {
    onFirst: (s) => progress.stderr(`\narv-image: ${forwarded(s)}; waiting for its cleanup.\n`),
    onRepeat: (s) => progress.stderr(`\narv-image: ${s} passed again. WARNING: cloud resources of this build may be left behind.\n`),
  });
  let code: number;
  try {
    code = await p.exited;
  } finally {
    sig.stop();
  }
  out.flush();
  err.flush();
  const first = sig.first();
  if (first) throw new PackerError(`interrupted (${first}); Packer exited with ${code}`, signalExit(first), first);
  if (code !== 0) throw new PackerError(`packer build ${t.path} failed with exit code ${code}`, code);
}
