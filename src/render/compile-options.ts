/**
 * How every template is compiled, at build time (scripts/precompile-templates.mjs) and at
 * run time alike: strict (a missing context value is an error, never ""), no HTML
 * escaping, no re-indentation of partials, and only our two helpers.
 */
export const COMPILE_OPTIONS = {
  strict: true,
  noEscape: true,
  preventIndent: true,
  knownHelpers: { hcl: true, sh: true },
} as const;
