/**
 * Interrupts for the whole run: SIGINT (Ctrl-C), SIGTERM, and SIGHUP (a closed terminal or
 * dropped ssh session). Node's default for each is to end the process at once, which left
 * behind what arv-image had started: a secrets file's bash, a temporary directory, an image
 * id that was never printed. main.ts installs one handler for the run: it records the first
 * signal and aborts `interruptSignal`; every phase stops at its next step (a subprocess it
 * owns at once), removes what it made, and the run ends with 128 + the signal's number.
 * While Packer runs, packer/run.ts forwards the signal to it as well (and waits for it).
 */
import { ArvImageError } from "./errors.js";

export const INTERRUPTS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

const controller = new AbortController();
let first: NodeJS.Signals | undefined;
let installed = false;

/** Aborted at the first interrupt. */
export const interruptSignal: AbortSignal = controller.signal;

/** The first interrupt received, if any. */
export const interrupted = (): NodeJS.Signals | undefined => first;

/** Called once by main.ts: from then on an interrupt is recorded, never an instant exit. */
export function installInterrupts(): void {
  if (installed) return;
  installed = true;
  const handler = (sig: NodeJS.Signals) => {
    if (first !== undefined) return;
    first = sig;
    controller.abort(new InterruptedError(sig));
  };
  for (const s of INTERRUPTS) process.on(s, handler);
}

/** The exit code after an interrupt, as a shell reports it: 128 + the signal's number. */
export const signalExit = (s: NodeJS.Signals): number => (s === "SIGTERM" ? 143 : s === "SIGHUP" ? 129 : 130);

/** The run stopped because of a signal; `during` says where (for the message). */
export class InterruptedError extends ArvImageError {
  declare readonly signal: NodeJS.Signals;
  /** `outcome`: what the stop left (default: a build's). */
  constructor(signal: NodeJS.Signals, during?: string, outcome = "stopped, and removed what it had started (nothing was built)") {
    super(`interrupted (${signal})${during ? ` during ${during}` : ""}; ${outcome}`, signalExit(signal), signal);
  }
}

/** Between steps: stop here if an interrupt came. */
export function throwIfInterrupted(during?: string): void {
  if (first !== undefined) throw new InterruptedError(first, during);
}
