/**
 * Typed errors. Only main.ts turns them into exit codes and text on stderr.
 * 2 = usage, 1 = preflight / I/O / internal, Packer's own code when Packer fails.
 */
export class ArvImageError extends Error {
  readonly exitCode: number;
  /** The interrupt this error reports (its message says so already); main.ts adds it to any other error an interrupt caused. */
  readonly signal: NodeJS.Signals | undefined;
  constructor(message: string, exitCode = 1, signal?: NodeJS.Signals) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** One or more problems with the command line; each entry is a self-contained paragraph. */
export class UsageError extends ArvImageError {
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n\n"), 2);
    this.problems = list;
  }
}

/** Something outside the command line went wrong: a file, a directory, a subprocess. */
export class EnvironmentError extends ArvImageError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** Preflight found errors: the build would fail (or did not start). */
export class PreflightError extends ArvImageError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** A bug in arv-image itself. */
export class InternalError extends ArvImageError {
  constructor(message: string) {
    super(`internal error: ${message}`, 1);
  }
}

/** Packer failed (its own exit code) or was interrupted (130/143). */
export class PackerError extends ArvImageError {}
