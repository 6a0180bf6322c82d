/**
 * Resolution in-process: a command line goes through the real syntax layer (commander with
 * the options the flag table declares for the command, build.sh spellings normalized) and
 * the real resolution function, from dist/, without starting node or packer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll } from "vitest";
import { flagsFor } from "../../dist/config/flags.js";
import { resolveConfig } from "../../dist/config/resolve.js";
import { normalizeArgv, optionsFor } from "../../dist/cli/program.js";

type CommandName = Parameters<typeof flagsFor>[0];

// Resolution checks --out on disk (new, or an empty directory): a fixed path such as /tmp/x
// fails the day something else made it. Each unusedOut() names a path in a directory of this
// test process's own, never created.
const OUT_PARENT = mkdtempSync(join(tmpdir(), "arv-image-resolve-"));
afterAll(() => rmSync(OUT_PARENT, { recursive: true, force: true })); // registered in each test file that imports this
let outs = 0;
/** A path for --out that does not exist and never will. */
export const unusedOut = (): string => join(OUT_PARENT, `out-${++outs}`);

/** What commander hands a command's action for `args`; throws commander's error on bad syntax. */
export function rawOptions(command: CommandName, args: readonly string[]): Record<string, unknown> {
  const cmd = new Command(command)
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const f of flagsFor(command)) for (const opt of optionsFor(f)) cmd.addOption(opt);
  cmd.parse(normalizeArgv(args), { from: "user" });
  return cmd.opts();
}

/** The problems resolution reports for `args`, or [] when it accepts them. */
export async function problemsOf(command: CommandName, args: readonly string[]): Promise<string[]> {
  const r = await resolveConfig({ command, raw: rawOptions(command, args) });
  return r.ok ? [] : r.problems;
}

export async function resolved(command: CommandName, args: readonly string[]) {
  const r = await resolveConfig({ command, raw: rawOptions(command, args) });
  if (!r.ok) throw new Error(`resolution failed:\n${r.problems.join("\n")}`);
  return r.config;
}
