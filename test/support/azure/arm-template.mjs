// @ts-check
/**
 * Evaluates the part of the ARM template language that deployment templates such as Packer's
 * use, so the Azure test server can "create" what a deployment declares: `[expression]` strings
 * with parameters(), variables(), concat(), resourceGroup(), subscription(), resourceId(),
 * toLower(), toUpper(), string(), if(), equals(), empty(), replace() and property access.
 * Anything else is an InvalidTemplate error, as ARM would report an unknown function.
 *
 * evaluateTemplate(template, parameters, ctx) → [{ type, name, location, tags, properties, … }]
 */

export class TemplateError extends Error {}

/**
 * @typedef {{ subscriptionId: string, resourceGroup: { name: string, location: string } }} TemplateContext
 * @typedef {{ type: string, name: string, location?: string, tags?: Record<string, string>, properties?: any, dependsOn?: string[], [k: string]: unknown }} TemplateResource
 */

/** @param {string} src @returns {Array<{ t: string, v: string }>} */
function tokenize(src) {
  /** @type {Array<{ t: string, v: string }>} */
  const out = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new TemplateError(`unterminated string in '${src}'`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: "str", v: s });
      continue;
    }
    if ("(),.[]".includes(c)) {
      out.push({ t: c, v: c });
      i++;
      continue;
    }
    const m = /^(-?\d+|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (!m) throw new TemplateError(`unexpected '${c}' in '${src}'`);
    out.push({ t: /^-?\d/.test(m[1]) ? "num" : "id", v: m[1] });
    i += m[1].length;
  }
  return out;
}

/**
 * @param {any} template ARM deployment template
 * @param {Record<string, { value?: unknown }>} parameters deployment parameters
 * @param {TemplateContext} ctx
 * @returns {TemplateResource[]}
 */
export function evaluateTemplate(template, parameters, ctx) {
  if (!template || typeof template !== "object" || !Array.isArray(template.resources)) throw new TemplateError("The template has no resources array.");
  const declared = template.parameters ?? {};
  const vars = template.variables ?? {};
  /** @type {Map<string, unknown>} */
  const varCache = new Map();
  const rgId = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${ctx.resourceGroup.name}`;

  /** @param {string} name */
  function param(name) {
    const key = Object.keys(declared).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) throw new TemplateError(`The template parameter '${name}' is not found.`);
    const given = Object.entries(parameters ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
    if (given && given[1] && "value" in given[1]) return given[1].value;
    if ("defaultValue" in declared[key]) return value(declared[key].defaultValue);
    throw new TemplateError(`The value for the template parameter '${name}' is not provided.`);
  }
  /** @param {string} name */
  function variable(name) {
    const key = Object.keys(vars).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) throw new TemplateError(`The template variable '${name}' is not found.`);
    if (!varCache.has(key)) varCache.set(key, value(vars[key]));
    return varCache.get(key);
  }
  /** resourceId([subscriptionId,] [resourceGroupName,] type, name1, name2, …) @param {unknown[]} args */
  function resourceId(args) {
    const strs = args.map(String);
    const ti = strs.findIndex((a) => a.includes("/"));
    if (ti < 0) throw new TemplateError("resourceId() needs a resource type.");
    const scope = strs.slice(0, ti);
    const sub = scope.length === 2 ? scope[0] : ctx.subscriptionId;
    const rg = scope.length >= 1 ? scope[scope.length - 1] : ctx.resourceGroup.name;
    const [ns, ...types] = strs[ti].split("/");
    const names = strs.slice(ti + 1);
    if (names.length !== types.length) throw new TemplateError(`resourceId(): ${types.length} name(s) needed for ${strs[ti]}.`);
    return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${ns}/${types.map((t, i) => `${t}/${names[i]}`).join("/")}`;
  }
  /** @param {string} fn @param {unknown[]} a */
  function call(fn, a) {
    switch (fn.toLowerCase()) {
      case "parameters":
        return param(String(a[0]));
      case "variables":
        return variable(String(a[0]));
      case "concat":
        return a.every(Array.isArray) && a.length > 0 ? a.flat() : a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("");
      case "resourcegroup":
        return { id: rgId, name: ctx.resourceGroup.name, location: ctx.resourceGroup.location, type: "Microsoft.Resources/resourceGroups" };
      case "subscription":
        return { id: `/subscriptions/${ctx.subscriptionId}`, subscriptionId: ctx.subscriptionId };
      case "resourceid":
        return resourceId(a);
      case "tolower":
        return String(a[0]).toLowerCase();
      case "toupper":
        return String(a[0]).toUpperCase();
      case "string":
        return typeof a[0] === "string" ? a[0] : JSON.stringify(a[0]);
      case "if":
        return a[0] ? a[1] : a[2];
      case "equals":
        return JSON.stringify(a[0]) === JSON.stringify(a[1]);
      case "empty":
        return (
          a[0] === null ||
          a[0] === undefined ||
          a[0] === "" ||
          (Array.isArray(a[0]) && a[0].length === 0) ||
          (typeof a[0] === "object" && a[0] !== null && Object.keys(a[0]).length === 0)
        );
      case "replace":
        return String(a[0]).split(String(a[1])).join(String(a[2]));
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new TemplateError(`The template function '${fn}' is not valid (not modelled by the Azure test server).`);
    }
  }
  /** @param {string} src */
  function expression(src) {
    const toks = tokenize(src);
    let p = 0;
    const peek = () => toks[p];
    /** @param {string} t */
    const eat = (t) => {
      const k = toks[p++];
      if (!k || k.t !== t) throw new TemplateError(`expected '${t}' in '[${src}]'`);
      return k;
    };
    /** @returns {unknown} */
    function primary() {
      const k = toks[p++];
      if (!k) throw new TemplateError(`unexpected end of '[${src}]'`);
      if (k.t === "str") return k.v;
      if (k.t === "num") return Number(k.v);
      if (k.t !== "id") throw new TemplateError(`unexpected '${k.v}' in '[${src}]'`);
      eat("(");
      /** @type {unknown[]} */
      const args = [];
      if (peek()?.t !== ")") {
        args.push(expr());
        while (peek()?.t === ",") {
          p++;
          args.push(expr());
        }
      }
      eat(")");
      return call(k.v, args);
    }
    /** @returns {unknown} */
    function expr() {
      let v = primary();
      for (;;) {
        if (peek()?.t === ".") {
          p++;
          const name = eat("id").v;
          const obj = /** @type {Record<string, unknown>} */ (v ?? {});
          const key = Object.keys(obj).find((x) => x.toLowerCase() === name.toLowerCase());
          v = key === undefined ? undefined : obj[key];
        } else if (peek()?.t === "[") {
          p++;
          const i = expr();
          eat("]");
          v = /** @type {any} */ (v)?.[/** @type {any} */ (i)];
        } else return v;
      }
    }
    const v = expr();
    if (p !== toks.length) throw new TemplateError(`unexpected '${toks[p]?.v}' in '[${src}]'`);
    return v;
  }
  /** @param {unknown} v @returns {unknown} */
  function value(v) {
    if (typeof v === "string") {
      if (v.startsWith("[[")) return v.slice(1);
      if (v.startsWith("[") && v.endsWith("]")) return expression(v.slice(1, -1));
      return v;
    }
    if (Array.isArray(v)) return v.map(value);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
    return v;
  }

  /** @type {TemplateResource[]} */
  const out = [];
  for (const r of template.resources) {
    if ("condition" in r && !value(r.condition)) continue;
    const ev = /** @type {TemplateResource} */ (value(r));
    if (typeof ev.type !== "string" || typeof ev.name !== "string") throw new TemplateError("Every resource needs a type and a name.");
    out.push(ev);
  }
  return out;
}
