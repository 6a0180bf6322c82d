/** Every cloud call has a time limit: the calls' own timeout, shared by preflight, untagging and gc. */

/** A cloud call that did not answer within the time limit. */
export class CallTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms / 1000} s`);
  }
}

/**
 * Runs `call` with an AbortSignal that fires after `ms`, and gives up waiting at the same
 * moment even if the callee ignores the signal (MSAL's token request does).
 */
export async function withTimeout<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new CallTimeout(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([call(ac.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
