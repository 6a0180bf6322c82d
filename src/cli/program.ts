/**
 * The commander program, derived from the flag table. Commander parses syntax only
 * (no defaults here: zod owns them, so "absent" and "given" stay apart).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../paths.js";
import { Command, Option } from "commander";
import { FLAGS, flagsFor, shownDefault, type CommandName, type FlagDef, type FlagGroup } from "../config/flags.js";
import type { Io } from "../io.js";
import { helpLayout, terminalWidth } from "./help.js";
import { UsageError } from "../errors.js";

const GROUP_TITLES: Record<FlagGroup, string> = {
  general: "Image options:",
  aws: "AWS options:",
  ebs: "AWS EBS autoscaler options:",
  azure: "Azure options:",
  gcp: "GCP options:",
  output: "Output options:",
};

export function optionsFor(f: FlagDef): Option[] {
  const shown = shownDefault(f);
  const def = shown !== undefined && shown !== "" ? ` (default: ${shown})` : "";
  const aliases = f.aliases?.length ? ` Also spelled ${f.aliases.map((a) => `--${a}`).join(", ")}.` : "";
  const help = `${f.help}${def}${aliases}`;
  const group = GROUP_TITLES[f.group];
  switch (f.kind) {
    case "value":
      return [new Option(`--${f.name} ${f.arg ?? "<value>"}`, help).helpGroup(group)];
    case "list":
      return [new Option(`--${f.name} ${f.arg ?? "<value>"}`, help).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]).helpGroup(group)];
    case "switch":
      return [new Option(`--${f.name}`, help).helpGroup(group)];
    case "negatable":
      return [new Option(`--${f.name}`, help).helpGroup(group), new Option(`--no-${f.name}`, `Turn off --${f.name}.`).helpGroup(group)];
  }
}

/** build.sh's spellings that commander cannot declare (e.g. --ssh_user) become the canonical ones. */
export function normalizeArgv(argv: readonly string[]): string[] {
  const aliases = new Map<string, string>();
  for (const f of FLAGS) for (const a of f.aliases ?? []) aliases.set(`--${a}`, `--${f.name}`);
  const out: string[] = [];
  for (const [i, arg] of argv.entries()) {
    if (arg === "--") return [...out, ...argv.slice(i)];
    const eq = arg.indexOf("=");
    const head = eq > 0 ? arg.slice(0, eq) : arg;
    const canonical = aliases.get(head);
    out.push(canonical ? canonical + (eq > 0 ? arg.slice(eq) : "") : arg);
  }
  return out;
}

// Each command's module (and so zod, handlebars, execa) loads only when it runs:
// `--help` needs none of them.
const COMMANDS: { name: CommandName; summary: string; run: (raw: Record<string, unknown>, io: Io) => Promise<void> }[] = [
  {
    name: "render",
    summary: "Write the Packer build directory (HCL2, var file, provisioning scripts) for these flags into --out DIR.",
    run: async (raw, io) => (await import("./render.js")).runRender(raw, io),
  },
  {
    name: "config",
    summary: "Print the resolved configuration, each value with where it came from (secrets redacted).",
    run: async (raw, io) => (await import("./config.js")).runConfig(raw, io),
  },
  {
    name: "validate",
    summary: "Render into a temporary directory, run packer init (Packer >= 1.7) and packer validate, clean up.",
    run: async (raw, io) => (await import("./build.js")).runValidate(raw, io),
  },
  {
    name: "preflight",
    summary: "Check in seconds what would fail a paid build late: Packer, cloud credentials, source image, network, instance type or VM size.",
    run: async (raw, io) => (await import("./preflight.js")).runPreflightCommand(raw, io),
  },
  {
    name: "provision",
    summary:
      "Run the image's provisioning on an existing machine over SSH (--ssh-host, --ssh-user, --ssh-private-key-file), through Packer's null builder: try a configuration on a throwaway VM before paying for a bake.",
    run: async (raw, io) => (await import("./provision.js")).runProvision(raw, io),
  },
  {
    name: "gc",
    summary:
      "Find and delete what interrupted or failed builds left behind (AWS: tagged instances, volumes, snapshots, AMIs and their packer_ key pairs and security groups; Azure: temporary resource groups). --dry-run lists only.",
    run: async (raw, io) => (await import("./gc.js")).runGc(raw, io),
  },
  {
    name: "urls",
    summary: "List every address a build with these flags contacts (cloud APIs, Packer plugins, what the builder VM downloads), for firewall allow-lists.",
    run: async (raw, io) => (await import("./urls.js")).runUrls(raw, io),
  },
  {
    name: "build",
    summary: "Render, validate and run packer build: live progress on stderr, the image id on stdout (or --json), the log in the build directory.",
    run: async (raw, io) => (await import("./build.js")).runBuild(raw, io),
  },
];

/**
 * The command line parser. With `argv`, only the command it names gets its options (there
 * are about a hundred flags per command, and building them all took several milliseconds
 * of every start); without, or when `argv` names no known command, every command does.
 * `helpWidth`: the width --help is wrapped to (default: the terminal's, else 80).
 */
export function buildProgram(io: Io, argv?: readonly string[], helpWidth: number = terminalWidth()): Command {
  const named = argv === undefined ? undefined : commandNamed(argv);
  const program = new Command("arv-image")
    .description("Bake Arvados cloud compute-node images with Packer.\nTakes every flag of Arvados' build.sh; see https://doc.arvados.org for the dispatcher setup.")
    .version(packageVersion(), "--version", "Print arv-image's version.")
    .helpOption("-h, --help", "Show help.")
    .exitOverride()
    .configureHelp(helpLayout(helpWidth))
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);
  for (const c of COMMANDS) {
    const cmd = program.command(c.name).description(c.summary).allowExcessArguments(false);
    if (named === undefined || named === c.name) for (const f of flagsFor(c.name)) for (const opt of optionsFor(f)) cmd.addOption(opt);
    cmd.action(async (raw: Record<string, unknown>) => c.run(raw, io));
  }
  program
    .command("completion")
    .description("Print a completion script for bash, zsh or fish, made from the flag table. Load it with: source <(arv-image completion bash).")
    .argument("<shell>", "bash, zsh or fish")
    .allowExcessArguments(false)
    .action(async (shell: string) => {
      const { completionScript, SHELLS } = await import("./completion.js");
      const known = SHELLS.find((s) => s === shell);
      if (known === undefined) throw new UsageError(`completion ${JSON.stringify(shell)}: expected a shell, one of ${SHELLS.join(", ")}, e.g. arv-image completion bash.`);
      io.stdout(completionScript(known, COMMANDS));
    });
  return program;
}

/** The command `argv` runs or asks help for (`help NAME`), if it is one of ours. */
function commandNamed(argv: readonly string[]): CommandName | undefined {
  const words = argv.filter((a) => !a.startsWith("-"));
  const name = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name)?.name;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
