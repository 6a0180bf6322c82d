/**
 * The one top-level catch: errors become text on stderr and an exit code here and
 * nowhere else.
 */
import { ArvImageError, UsageError } from "./errors.js";
import { buildProgram, normalizeArgv } from "./cli/program.js";
import { CommanderError } from "commander";
import { FLAGS } from "./config/flags.js";
import type { Io } from "./io.js";
import { forTerminal } from "./config/messages.js";

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s, written) => process.stderr.write(s, written && (() => written())),
  get color() {
    return process.stderr.isTTY === true && process.env.NO_COLOR === undefined;
  },
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  // A closed terminal or pipe (`arv-image … | head`) must not end arv-image before it has
  // cleaned up or, during a build, before Packer has: the output is lost, the work is not.
  for (const s of [process.stdout, process.stderr]) s.on("error", () => {});
  try {
    const args = normalizeArgv(argv);
    const program = buildProgram(io, args);
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      if (e.code === "commander.help") return 2; // no command: help went to stderr
      io.stderr(`arv-image: ${forTerminal(commanderMessage(e))}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      const n = e.problems.length;
      io.stderr(`arv-image: ${n === 1 ? "a problem" : `${n} problems`} with the command line; nothing was written.\n\n${e.problems.map(forTerminal).join("\n\n")}\n`);
      return 2;
    }
    if (e instanceof ArvImageError) {
      io.stderr(`arv-image: ${forTerminal(e.message)}\n`);
      return e.exitCode;
    }
    io.stderr(`arv-image: internal error: ${forTerminal(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return 1;
  }
}

/** Commander's syntax errors, rewritten as arv-image's one-paragraph usage errors. */
function commanderMessage(e: CommanderError): string {
  const text = e.message.replace(/^error: /, "");
  const hint = 'Run "arv-image <command> --help" for the flags.';
  const flag = /'--([a-z0-9_-]+)/.exec(text)?.[1];
  const def = FLAGS.find((f) => f.name === flag);
  switch (e.code) {
    case "commander.optionMissingArgument":
      if (def) return `--${def.name} needs a value: ${def.expect ?? "a value"}, e.g. --${def.name} ${def.example ?? ""}.`;
      break;
    case "commander.unknownOption": {
      const token = /'([^']*)'/.exec(text)?.[1] ?? "";
      const eq = token.indexOf("=");
      const sw = eq > 0 ? FLAGS.find((f) => `--${f.name}` === token.slice(0, eq) && f.kind !== "value" && f.kind !== "list") : undefined;
      if (sw) return `${token.slice(0, eq)} is a switch and takes no value; drop "${token.slice(eq)}"${sw.kind === "negatable" ? ` (use --no-${sw.name} to turn it off)` : ""}.`;
      return `${token}: unknown option${/Did you mean (--\S+)\?/.test(text) ? `; did you mean ${/Did you mean (--\S+)\?/.exec(text)?.[1]}?` : "."} ${hint}`;
    }
    case "commander.excessArguments":
      return `unexpected argument${e.message.includes("got 1") ? "" : "s"} on the command line: arv-image takes only --flags (a value with spaces needs quotes). ${hint}`;
    case "commander.unknownCommand":
      return `${text}. Run "arv-image --help" for the commands.`;
  }
  return `${text}. ${hint}`;
}
