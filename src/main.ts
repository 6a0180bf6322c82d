/**
 * The one top-level catch: errors become text on stderr and an exit code here and
 * nowhere else.
 */
import { ArvImageError, UsageError } from "./errors.js";
import { buildProgram, normalizeArgv } from "./cli/program.js";
import { CommanderError } from "commander";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const program = buildProgram(io);
    await program.parseAsync(normalizeArgv(argv), { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      if (e.code === "commander.help") return 2; // no command: help went to stderr
      io.stderr(`arv-image: ${e.message.replace(/^error: /, "")}\nRun "arv-image --help" for commands, "arv-image <command> --help" for their flags.\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      const n = e.problems.length;
      io.stderr(`arv-image: ${n === 1 ? "a problem" : `${n} problems`} with the command line; nothing was written.\n\n${e.problems.join("\n\n")}\n`);
      return 2;
    }
    if (e instanceof ArvImageError) {
      io.stderr(`arv-image: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`arv-image: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
