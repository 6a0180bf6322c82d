/** The real tools the tests check rendered output with: packer, shellcheck, an HCL2 parser. */
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { run } from "./cli.js";

/** Fails loudly (not a skip) when a required tool is missing: .ci/run installs them. */
export async function requireTool(name: string, args: string[] = ["--version"]): Promise<void> {
  const r = await run(name, args).catch(() => undefined);
  if (!r || r.code !== 0) throw new Error(`${name} is required for these tests (apt-get install -y ${name}); .ci/run installs it`);
}

export const packerEnv = { ...process.env, CHECKPOINT_DISABLE: "1" };

export function packer(args: string[], cwd: string) {
  return run("packer", args, { cwd, env: packerEnv });
}

/**
 * shellcheck at its strictest, following `source` (-x): a script's `# shellcheck source=lib/prelude.sh`
 * is found beside the script (-P SCRIPTDIR), whatever the working directory, so the prelude's
 * functions and variables are known. Findings inside a sourced file are not reported: check the
 * prelude itself too.
 */
export function shellcheck(files: string[]) {
  return run("shellcheck", ["-x", "-P", "SCRIPTDIR", "-s", "bash", "-S", "style", "-f", "gcc", ...files]);
}

/** Parse with HashiCorp's HCL2 parser (compiled to WASM); rejects on a syntax error. */
export function parseHcl(name: string, text: string): Promise<Record<string, unknown>> {
  return parse(name, text) as Promise<Record<string, unknown>>;
}

/** Evaluate an HCL expression in a directory's Packer configuration with real Packer. */
export async function packerEval<T>(dir: string, expr: string): Promise<T> {
  const r = await run("packer", ["console", "."], { cwd: dir, env: packerEnv, input: `jsonencode(${expr})\n` });
  if (r.code !== 0) throw new Error(`packer console failed: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as T;
}

export function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${e}` : e;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}
