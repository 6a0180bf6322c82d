import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import type HandlebarsNamespace from "handlebars";
// The runtime is bundled into the CLI (one chunk instead of a dozen CommonJS files);
// the compiler is required only when a template changed since the build.
import runtimeModule from "handlebars/runtime.js";
import { hcl, sh, type HclValue } from "./escape.js";
import { COMPILE_OPTIONS } from "./compile-options.js";
import { InternalError } from "../errors.js";

import { PACKAGE_ROOT, TEMPLATES_DIR } from "../paths.js";

export { TEMPLATES_DIR };

type Hb = typeof HandlebarsNamespace;
type Template = HandlebarsNamespace.TemplateDelegate;
interface Precompiled {
  hash: string;
  spec: TemplateSpecification;
}
type TemplateSpecification = Parameters<Hb["template"]>[0];

const require = createRequire(import.meta.url);
const PRECOMPILED = `${PACKAGE_ROOT}/dist/templates.precompiled.cjs`;

/**
 * An isolated Handlebars with exactly two ways to print a value: {{hcl x}} and {{sh x}}
 * (a test walks every template's AST and fails on any other mustache).
 *
 * `npm run build` precompiles the templates; when every template on disk still has the
 * hash it was precompiled from, only Handlebars' runtime is loaded (about 25 ms less
 * start-up than the compiler). Otherwise (no build output, an edited template) all of
 * them are compiled from source with the full Handlebars and the same options, so what
 * renders is always what is on disk.
 */
class Engine {
  private readonly hb: Hb;
  private readonly precompiled: Record<string, Precompiled> | undefined;
  private readonly cache = new Map<string, Template>();

  constructor() {
    this.precompiled = Engine.freshPrecompiled();
    this.hb = (this.precompiled ? (runtimeModule as unknown as Hb) : (require("handlebars") as Hb)).create();
    this.hb.registerHelper("hcl", (value: unknown) => {
      if (value === undefined || value === null) throw new InternalError("hcl helper got no value");
      return new this.hb.SafeString(hcl(value as HclValue));
    });
    this.hb.registerHelper("sh", (value: unknown) => {
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        throw new InternalError(`sh helper got a ${typeof value}`);
      }
      return new this.hb.SafeString(sh(value));
    });
    for (const f of readdirSync(`${TEMPLATES_DIR}partials/`)) {
      if (f.endsWith(".hbs")) this.hb.registerPartial(f.slice(0, -4), this.load(`partials/${f}`));
    }
  }

  /** The precompiled set, if it exists and matches every template on disk. */
  private static freshPrecompiled(): Record<string, Precompiled> | undefined {
    if (!existsSync(PRECOMPILED)) return undefined;
    const set = (require(PRECOMPILED) as { precompiled: Record<string, Precompiled> }).precompiled;
    const onDisk = readdirSync(TEMPLATES_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".hbs"));
    if (onDisk.length !== Object.keys(set).length) return undefined;
    for (const name of onDisk) {
      const hash = createHash("sha256")
        .update(readFileSync(TEMPLATES_DIR + name))
        .digest("hex");
      if (set[name]?.hash !== hash) return undefined;
    }
    return set;
  }

  load(name: string): Template {
    let tpl = this.cache.get(name);
    if (!tpl) {
      const pre = this.precompiled?.[name];
      if (this.precompiled && !pre) throw new InternalError(`template ${name} does not exist`);
      tpl = pre ? this.hb.template(pre.spec) : this.hb.compile(readFileSync(TEMPLATES_DIR + name, "utf8"), COMPILE_OPTIONS);
      this.cache.set(name, tpl);
    }
    return tpl;
  }
}

let engine: Engine | undefined;

/** Render templates/<name> (a path relative to templates/) with `context`. */
export function renderTemplate(name: string, context: object): string {
  engine ??= new Engine();
  const tpl = engine.load(name);
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
