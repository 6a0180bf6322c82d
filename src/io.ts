/**
 * The two output streams as the program sees them. main.ts makes the process's; tests and
 * the pipeline get narrower views (the pipeline only ever `Progress`, never stdout).
 */
export interface Io {
  /** Results: the image id, a path, the `--json` document. */
  stdout: (s: string) => void;
  /** Text, or bytes already encoded (the live view of a build); `written` is called once it is written. */
  stderr: (s: string | Uint8Array, written?: () => void) => void;
  /** Whether stderr takes colour (a terminal, and no NO_COLOR). */
  readonly color?: boolean;
}

/** Where work below the CLI reports progress while it runs (stderr, for people); results are returned instead. */
export interface Progress {
  stderr: Io["stderr"];
  readonly color?: boolean;
}
