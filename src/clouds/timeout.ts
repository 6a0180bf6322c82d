/** Every cloud call has a time limit: the calls' own timeout, shared by preflight, untagging and gc. */
import { InterruptedError, interruptSignal } from "../interrupt.js";

/** A cloud call that did not answer within the time limit. */
export class CallTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms / 1000} s`);
  }
}

/**
 * Runs `call` with an AbortSignal that fires after `ms` or at an interrupt (Ctrl-C must not
 * wait for a cloud that does not answer), and gives up waiting at the same moment even if
 * the callee ignores the signal (MSAL's token request does).
 */
export async function withTimeout<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onInterrupt: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new CallTimeout(what, ms));
    }, ms);
    onInterrupt = () => {
      ac.abort();
      reject(interruptSignal.reason instanceof InterruptedError ? interruptSignal.reason : new Error("interrupted"));
    };
    if (interruptSignal.aborted) onInterrupt();
    else interruptSignal.addEventListener("abort", onInterrupt, { once: true });
  });
  try {
    return await Promise.race([call(ac.signal), expired]);
  } finally {
    clearTimeout(timer);
    if (onInterrupt) interruptSignal.removeEventListener("abort", onInterrupt);
  }
}
