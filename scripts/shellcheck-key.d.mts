// Types for shellcheck-key.mjs (hand-written; keep in step with it).
/** The prelude with every value left out (`readonly NAME='…'` becomes `readonly NAME=`). */
export declare function withoutValues(prelude: string): string;
/** The key of `name` (a file name) with `text`, checked beside `prelude` (undefined: it sources none). */
export declare function shellcheckKey(name: string, text: string, prelude: string | undefined): string;
