import { readFileSync, readdirSync } from "node:fs";
import Handlebars from "handlebars";
import { hcl, sh, type HclValue } from "./escape.js";
import { InternalError } from "../errors.js";

import { TEMPLATES_DIR } from "../paths.js";

export { TEMPLATES_DIR };

/**
 * An isolated Handlebars: strict (a missing context value is an error, never ""),
 * no HTML escaping, and exactly two ways to print a value: {{hcl x}} and {{sh x}}.
 * A test walks every template's AST and fails on any other mustache.
 */
function createEngine(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper("hcl", (value: unknown) => {
    if (value === undefined || value === null) throw new InternalError("hcl helper got no value");
    return new hb.SafeString(hcl(value as HclValue));
  });
  hb.registerHelper("sh", (value: unknown) => {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new InternalError(`sh helper got a ${typeof value}`);
    }
    return new hb.SafeString(sh(value));
  });
  const partialDir = `${TEMPLATES_DIR}partials/`;
  for (const f of readdirSync(partialDir)) {
    if (f.endsWith(".hbs")) hb.registerPartial(f.slice(0, -4), readFileSync(partialDir + f, "utf8"));
  }
  return hb;
}

let engine: typeof Handlebars | undefined;
const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Render templates/<name> (a path relative to templates/) with `context`. */
export function renderTemplate(name: string, context: object): string {
  engine ??= createEngine();
  let tpl = cache.get(name);
  if (!tpl) {
    const source = readFileSync(TEMPLATES_DIR + name, "utf8");
    tpl = engine.compile(source, { strict: true, noEscape: true, preventIndent: true });
    cache.set(name, tpl);
  }
  try {
    return tpl(context);
  } catch (e) {
    throw new InternalError(`template ${name}: ${(e as Error).message}`);
  }
}

/** Static files are copied byte for byte (they are shellchecked and contain no values). */
export function readStatic(name: string): string {
  return readFileSync(TEMPLATES_DIR + name, "utf8");
}
