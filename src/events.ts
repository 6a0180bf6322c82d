/**
 * arv-image's own events as JSON lines (`--log-format json`), made by pino, for CI
 * systems; and the levels `--log-level` chooses between, in both formats.
 *
 * pino is used as a serializer only: each event becomes its line synchronously (into a
 * string), and the caller writes it where the human text would have gone, so ordering,
 * back-pressure and the live view's "falls behind" bound stay those of the human view.
 * pino's own destinations (sonic-boom) write fd 2 synchronously and would block on a
 * full pipe. pino is loaded only when JSON is asked for (it stays out of the bundle and
 * off the start-up path of every other run).
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["human", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const RANK: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/** Whether an event at `level` is shown when the threshold is `threshold`. */
export function shown(level: LogLevel, threshold: LogLevel | undefined): boolean {
  return RANK[level] >= RANK[threshold ?? "info"];
}

/** Hides secret values; `secretBytes` are the same values as bytes (see packer/environment.ts). */
export type Redactor = ((text: string) => string) & { readonly secretBytes?: readonly Buffer[] };

export interface EventLog {
  readonly level: LogLevel;
  /** The event's JSON line with its newline, scrubbed; "" when below the level. */
  format(level: LogLevel, fields: Record<string, unknown>, msg: string): string;
  /** From now on, every line is also scrubbed of these secrets (and of their JSON-escaped forms). */
  redact(scrub: Redactor): void;
}

/** The level a line of arv-image's human text stands for. */
export function levelOfText(text: string): LogLevel {
  if (/^(arv-image: )?(error|internal error)\b|^arv-image: .*\bfailed\b/i.test(text)) return "error";
  if (/^(arv-image: )?(warning|WARNING)\b|\bWARNING\b/.test(text)) return "warn";
  return "info";
}

export async function jsonEventLog(level: LogLevel): Promise<EventLog> {
  const { pino } = await import("pino");
  let out = "";
  const logger = pino(
    {
      level,
      base: { name: "arv-image" },
      // Level names, not numbers: what a CI log viewer shows.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
    },
    { write: (s: string) => void (out += s) },
  );
  const scrubbers: ((t: string) => string)[] = [];
  return {
    level,
    format(l, fields, msg) {
      out = "";
      logger[l](fields, msg);
      let line = out;
      out = "";
      for (const s of scrubbers) line = s(line);
      return line;
    },
    redact(scrub) {
      scrubbers.push(scrub);
      // A secret inside a JSON string is written escaped (quotes, backslashes, control characters).
      const escaped = (scrub.secretBytes ?? []).map((b) => JSON.stringify(b.toString("utf8")).slice(1, -1)).filter((e, i) => e !== scrub.secretBytes?.[i]?.toString("utf8"));
      if (escaped.length > 0) scrubbers.push((t) => escaped.reduce((acc, e) => acc.replaceAll(e, "<redacted>"), t));
    },
  };
}

/** Where an event goes: stderr as the caller's Io/Progress has it. */
interface EventSink {
  stderr: (s: string | Uint8Array, written?: () => void) => void;
  readonly events?: EventLog;
  readonly level?: LogLevel;
}

/**
 * One event: its JSON line with `--log-format json`, else `text` (when the level shows it).
 * Structured fields are for CI systems; people read the text.
 */
export function emit(to: EventSink, level: LogLevel, fields: Record<string, unknown>, msg: string, text: string = msg): void {
  if (to.events) {
    const line = to.events.format(level, fields, msg);
    if (line !== "") to.stderr(Buffer.from(line, "utf8"));
  } else if (shown(level, to.level)) to.stderr(text);
}
