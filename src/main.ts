/**
 * The one top-level catch: errors become text on stderr and an exit code here and
 * nowhere else.
 */
import { ArvImageError, UsageError } from "./errors.js";
import { buildProgram, normalizeArgv } from "./cli/program.js";
import { CommanderError } from "commander";
import { ALL_COMMANDS, FLAGS } from "./config/flags.js";
import { failureDocument } from "./json-schemas.js";
import { type EventLog, jsonEventLog, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, levelOfText, shown } from "./events.js";
import type { Io } from "./io.js";
import { installInterrupts, interrupted, signalExit } from "./interrupt.js";
import { scrubRegistered } from "./secrets.js";
import { forTerminal } from "./config/messages.js";

// The last line of defence: every text arv-image writes is scrubbed of the run's secrets
// (src/secrets.ts). The live view arrives as bytes, already scrubbed by the stream.
const processIo: Io = {
  stdout: (s) => process.stdout.write(scrubRegistered(s)),
  stderr: (s, written) => process.stderr.write(typeof s === "string" ? scrubRegistered(s) : s, written && (() => written())),
  get color() {
    return process.stderr.isTTY === true && process.env.NO_COLOR === undefined;
  },
  get tty() {
    return process.stderr.isTTY === true ? { columns: () => process.stderr.columns || 80 } : undefined;
  },
};

/**
 * `--log-format` and `--log-level` as given (the flag table validates them later): they
 * decide what stderr is before commander has parsed anything (its own errors included).
 */
export function outputChoice(args: readonly string[]): { format: LogFormat; level: LogLevel } {
  const value = (name: string) => {
    let v: string | undefined;
    for (const [i, a] of args.entries()) {
      if (a === "--") break;
      if (a === `--${name}`) v = args[i + 1];
      else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
    }
    return v;
  };
  const f = value("log-format");
  const l = value("log-level");
  return {
    format: (LOG_FORMATS as readonly string[]).includes(f ?? "") ? (f as LogFormat) : "human",
    level: (LOG_LEVELS as readonly string[]).includes(l ?? "") ? (l as LogLevel) : "info",
  };
}

/** stderr as JSON events: each text written becomes one event; bytes (the live view, already events) pass. */
function jsonIo(base: Io, events: EventLog): Io {
  return {
    stdout: base.stdout,
    stderr: (s, written) => {
      if (typeof s !== "string") return base.stderr(s, written);
      const text = s.replace(/^\n+|\n+$/g, "");
      const line = text === "" ? "" : events.format(levelOfText(text), { type: "message" }, text.replace(/^arv-image: /, ""));
      if (line === "") written?.();
      else base.stderr(line, written);
    },
    events,
    level: events.level,
  };
}

/** Human text at --log-level: text below the level is left out (the live view filters its own lines). */
function leveledIo(base: Io, level: LogLevel): Io {
  if (level === "info") return Object.assign(Object.create(base) as Io, { level });
  return {
    stdout: base.stdout,
    stderr: (s, written) => (typeof s !== "string" || shown(levelOfText(s.replace(/^\n+/, "")), level) ? base.stderr(s, written) : written?.()),
    color: base.color,
    tty: base.tty,
    level,
  };
}

export async function main(argv: string[], base: Io = processIo): Promise<number> {
  // A closed terminal or pipe (`arv-image … | head`) must not end arv-image before it has
  // cleaned up or, during a build, before Packer has: the output is lost, the work is not.
  for (const s of [process.stdout, process.stderr]) s.on("error", () => {});
  // From here an interrupt never ends arv-image mid-step: each step stops and cleans up.
  installInterrupts();
  const choice = outputChoice(argv);
  // --json: a failure leaves one document on stdout even when the command never ran (a syntax
  // error, a bad value) or stopped before printing its own; never a second one.
  let documented = false;
  const out: Io = {
    ...base,
    stdout: (text) => {
      documented = true;
      base.stdout(text);
    },
  };
  const end = argv.indexOf("--");
  const jsonAsked = (end === -1 ? argv : argv.slice(0, end)).includes("--json");
  const io = choice.format === "json" ? jsonIo(out, await jsonEventLog(choice.level)) : leveledIo(out, choice.level);
  const problem = (text: string, fields: Record<string, unknown> = {}) => {
    if (jsonAsked && !documented) {
      const doc = failureDocument(
        argv.find((a) => !a.startsWith("-")),
        {
          error: text.replace(/^arv-image: /, "").trimEnd(),
          exitCode: typeof fields.exitCode === "number" ? fields.exitCode : 1,
          ...(typeof fields.interrupted === "string" ? { interrupted: fields.interrupted } : {}),
        },
      );
      if (doc !== undefined) out.stdout(doc);
    }
    if (io.events) base.stderr(io.events.format("error", { type: "error", ...fields }, text.replace(/^arv-image: /, "").trimEnd()));
    else io.stderr(text);
  };
  try {
    const args = normalizeArgv(argv);
    const program = buildProgram(io, args);
    await program.parseAsync(args, { from: "user" });
    // The work was done, but the run was interrupted: a shell still sees 128 + n.
    const sig = interrupted();
    if (sig !== undefined) {
      io.stderr(`arv-image: interrupted (${sig}) as it finished; what it printed above is complete.\n`);
      return signalExit(sig);
    }
    return 0;
  } catch (e) {
    // Whatever an interrupt made a step fail with, the run ends as interrupted (128 + n).
    const sig = interrupted();
    // (Unless the error reports the interrupt itself: its message says so already.)
    if (sig !== undefined && !(e instanceof ArvImageError && e.signal !== undefined)) {
      problem(`arv-image: interrupted (${sig}): ${e instanceof Error ? e.message : String(e)}\n`, { exitCode: signalExit(sig), interrupted: sig });
      return signalExit(sig);
    }
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      if (e.code === "commander.help") return 2; // no command: help went to stderr
      problem(
        `arv-image: ${forTerminal(
          commanderMessage(
            e,
            argv.find((a) => !a.startsWith("-")),
          ),
        )}\n`,
        { exitCode: 2 },
      );
      return 2;
    }
    if (e instanceof UsageError) {
      const n = e.problems.length;
      problem(`arv-image: ${n === 1 ? "a problem" : `${n} problems`} with the command line; nothing was written.\n\n${e.problems.map(forTerminal).join("\n\n")}\n`, {
        exitCode: 2,
      });
      return 2;
    }
    if (e instanceof ArvImageError) {
      problem(`arv-image: ${forTerminal(e.message)}\n`, { exitCode: e.exitCode, ...(e.signal !== undefined ? { interrupted: e.signal } : {}) });
      return e.exitCode;
    }
    problem(`arv-image: internal error: ${forTerminal(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`, { exitCode: 1 });
    return 1;
  }
}

/** Commander's syntax errors, rewritten as arv-image's one-paragraph usage errors. */
function commanderMessage(e: CommanderError, command: string | undefined): string {
  const text = e.message.replace(/^error: /, "");
  const known = command !== undefined && (ALL_COMMANDS as readonly string[]).includes(command);
  const hint = known ? `Run "arv-image ${command} --help" for its flags.` : 'Run "arv-image --help" for the commands.';
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
      const elsewhere = known ? FLAGS.find((f) => `--${f.name}` === token && !(f.commands as readonly string[]).includes(command)) : undefined;
      if (elsewhere) {
        const of = elsewhere.commands;
        return `${token} is not a flag of arv-image ${command}, only of ${of.length === 1 ? of[0] : `${of.slice(0, -1).join(", ")} and ${of.at(-1)}`}. ${hint}`;
      }
      return `${token}: unknown option${/Did you mean (--\S+)\?/.test(text) ? `; did you mean ${/Did you mean (--\S+)\?/.exec(text)?.[1]}?` : "."} ${hint}`;
    }
    case "commander.excessArguments":
      return `unexpected argument${e.message.includes("got 1") ? "" : "s"} on the command line: arv-image takes only --flags (a value with spaces needs quotes). ${hint}`;
    case "commander.unknownCommand":
      return `${text}. Run "arv-image --help" for the commands.`;
  }
  return `${text}. ${hint}`;
}
