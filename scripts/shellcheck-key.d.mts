// Types for shellcheck-key.mjs (hand-written; keep in step with it).
/** The prelude with each plain value replaced by its kind (`readonly NAME='us-east-1'` becomes `readonly NAME='w'`). */
export declare function withoutValues(prelude: string): string;
/** The key of `name` (a file name) with `text`, checked beside `prelude` (undefined: it sources none). */
export declare function shellcheckKey(name: string, text: string, prelude: string | undefined): string;
