/**
 * The one subprocess wrapper for Packer. Argument vector only (never a shell), an
 * explicit environment (nothing inherited implicitly), Packer in its own process group,
 * and no automatic kill: execa's forceKillAfterDelay and cleanup are off, because a
 * killed Packer leaks cloud instances that cost money. Signals are forwarded by the
 * caller's policy (see forwardSignals) and arv-image always waits for Packer to exit.
 */
import { execa } from "execa";

export interface PackerProcessOptions {
  bin: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Called with each chunk of stdout / stderr as it arrives (the caller splits lines). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** --debug: Packer talks to the terminal directly (stdio inherited, same process group). */
  interactive?: boolean;
}

export interface PackerProcess {
  pid: number | undefined;
  /** Resolves when Packer has exited, with its exit code (or 128+n after a signal). */
  exited: Promise<number>;
  /** Send a signal to Packer's process group (to Packer alone when interactive). */
  signal: (sig: NodeJS.Signals) => void;
  /** Back-pressure: stop reading Packer's output until resumeOutput (its pipe then fills and Packer waits). */
  pauseOutput: () => void;
  resumeOutput: () => void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function startPacker(o: PackerProcessOptions): PackerProcess {
  const child = execa(o.bin, [...o.args], {
    cwd: o.cwd,
    env: { ...o.env },
    extendEnv: false,
    shell: false,
    reject: false,
    buffer: false,
    cleanup: false,
    forceKillAfterDelay: false,
    // Its own process group: a terminal's Ctrl-C reaches arv-image only, which forwards it once.
    detached: !o.interactive,
    stdin: o.interactive ? "inherit" : "ignore",
    stdout: o.interactive ? "inherit" : "pipe",
    stderr: o.interactive ? "inherit" : "pipe",
    encoding: "buffer",
  });
  if (!o.interactive) {
    child.stdout?.on("data", (c: Buffer) => o.onStdout?.(c));
    child.stderr?.on("data", (c: Buffer) => o.onStderr?.(c));
  }
  const exited = child.then((r) => {
    if (typeof r.exitCode === "number") return r.exitCode;
    const n = r.signal ? SIGNAL_NUMBERS[r.signal as NodeJS.Signals] : undefined;
    return 128 + (n ?? 1);
  });
  return {
    pid: child.pid,
    exited,
    pauseOutput: () => {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resumeOutput: () => {
      child.stdout?.resume();
      child.stderr?.resume();
    },
    signal: (sig) => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        if (o.interactive) process.kill(child.pid, sig);
        else process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    },
  };
}

export interface SignalPolicy {
  /** First SIGINT/SIGTERM: forwarded once; the caller says cleanup is running. */
  onFirst: (sig: NodeJS.Signals) => void;
  /** Any later one: forwarded again; the caller warns what may be left behind. */
  onRepeat: (sig: NodeJS.Signals, count: number) => void;
}

/**
 * While Packer runs, SIGINT/SIGTERM to arv-image are forwarded to Packer (never turned
 * into a kill) and arv-image keeps running until Packer exits. Returns the first signal
 * received (for the 130/143 exit code) and a function that removes the handlers.
 */
export function forwardSignals(p: PackerProcess, policy: SignalPolicy): { first: () => NodeJS.Signals | undefined; stop: () => void } {
  let first: NodeJS.Signals | undefined;
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    p.signal(sig);
    if (count === 1) {
      first = sig;
      policy.onFirst(sig);
    } else policy.onRepeat(sig, count);
  };
  // SIGHUP too: a closed terminal or dropped ssh session must not orphan Packer mid-build.
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  process.on("SIGHUP", handler);
  return {
    first: () => first,
    stop: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
      process.off("SIGHUP", handler);
    },
  };
}

/** The exit code after an interrupt, as a shell reports it: 128 + the signal's number. */
export const signalExit = (s: NodeJS.Signals) => (s === "SIGTERM" ? 143 : s === "SIGHUP" ? 129 : 130);
