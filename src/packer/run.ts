/**
 * The one subprocess wrapper for Packer. Argument vector only (never a shell), an
 * explicit environment (nothing inherited implicitly), Packer in its own process group,
 * and no automatic kill: execa's forceKillAfterDelay and cleanup are off, because a
 * killed Packer leaks cloud instances that cost money. Signals are forwarded by the
 * caller's policy (see forwardSignals) and arv-image always waits for Packer to exit.
 */
import { execa } from "execa";
import { INTERRUPTS, interrupted } from "../interrupt.js";

export { signalExit } from "../interrupt.js";

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
    const n = r.signal ? SIGNAL_NUMBERS[r.signal] : undefined;
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
  /** First interrupt: forwarded once; the caller says cleanup is running. */
  onFirst: (sig: NodeJS.Signals) => void;
  /** Any later one: forwarded again; the caller warns what may be left behind. */
  onRepeat: (sig: NodeJS.Signals, count: number) => void;
}

/**
 * The signal Packer gets for one arv-image received. Packer cancels a build and runs its
 * cleanup steps (terminate the instance, delete the key pair and security group) only on
 * SIGINT and SIGTERM (hashicorp/packer command/signal.go: signal.Notify(sigCh,
 * os.Interrupt, syscall.SIGTERM); main.go's panicwrap parent ignores Interrupt and forwards
 * SIGTERM). On SIGHUP, Go's default applies: Packer dies at once and leaks the builder.
 * A dropped terminal therefore reaches Packer as the Ctrl-C it would have been.
 */
export const packerSignalFor = (sig: NodeJS.Signals): NodeJS.Signals => (sig === "SIGTERM" ? "SIGTERM" : "SIGINT");

/** What happened to a signal, for the message: "SIGINT received and passed to Packer", … */
export const forwarded = (sig: NodeJS.Signals): string =>
  packerSignalFor(sig) === sig
    ? `${sig} received and passed to Packer`
    : `${sig} received (the terminal or ssh session closed) and passed to Packer as ${packerSignalFor(sig)}, the signal it cleans up on`;

/**
 * While Packer runs, interrupts to arv-image (SIGINT, SIGTERM, SIGHUP) are forwarded to
 * Packer as the signal it cleans up on (never turned into a kill) and arv-image keeps
 * running until Packer exits. Returns the first signal received (for the 130/143/129 exit
 * code) and a function that removes the handlers. An interrupt that came before Packer
 * started is forwarded at once.
 */
export function forwardSignals(p: PackerProcess, policy: SignalPolicy): { first: () => NodeJS.Signals | undefined; stop: () => void } {
  let first: NodeJS.Signals | undefined;
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    p.signal(packerSignalFor(sig));
    if (count === 1) {
      first = sig;
      policy.onFirst(sig);
    } else policy.onRepeat(sig, count);
  };
  for (const s of INTERRUPTS) process.on(s, handler);
  const earlier = interrupted();
  if (earlier !== undefined) handler(earlier);
  return {
    first: () => first,
    stop: () => {
      for (const s of INTERRUPTS) process.off(s, handler);
    },
  };
}
