/**
 * The two output streams as the program sees them. main.ts makes the process's; tests and
 * the pipeline get narrower views (the pipeline only ever `Progress`, never stdout).
 */
import type { EventLog, LogLevel } from "./events.js";

export interface Io {
  /** Results: the image id, a path, the `--json` document. */
  stdout: (s: string) => void;
  /**
   * Text, or bytes already encoded (the live view of a build); `written` is called once it
   * is written. With `events`, text becomes JSON events and bytes are written as they are
   * (the live view is then made of events already).
   */
  stderr: (s: string | Uint8Array, written?: () => void) => void;
  /** Whether stderr takes colour (a terminal, and no NO_COLOR). */
  readonly color?: boolean;
  /** Whether stderr is a terminal (a status line may be redrawn in place); its width. */
  readonly tty?: { columns: () => number };
  /** `--log-format json`: arv-image's events as JSON lines on stderr. */
  readonly events?: EventLog;
  /** `--log-level`: what is shown (default info). */
  readonly level?: LogLevel;
}

/** Where work below the CLI reports progress while it runs (stderr, for people); results are returned instead. */
export interface Progress {
  stderr: Io["stderr"];
  readonly color?: boolean;
  readonly tty?: Io["tty"];
  readonly events?: EventLog;
  readonly level?: LogLevel;
}
