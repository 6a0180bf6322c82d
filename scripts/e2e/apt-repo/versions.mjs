// @ts-check
/**
 * arv-image's versions and pins, read from src/releases/versions.ts (the source of truth, so never
 * stale), transpiled in memory with the project's TypeScript; when that is not possible, from
 * the build output dist/releases/versions.js.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * @typedef {object} ArvImageVersions
 * @property {string} GO_VERSION
 * @property {string} SINGULARITY_VERSION
 * @property {string} AUTOSCALER_COMMIT
 * @property {string} CUDA_KEYRING_VERSION
 * @property {Record<string, string>} URLS
 * @property {readonly { packages: string, version: string }[]} APT_PINS
 */

/** @param {Record<string, unknown>} m @param {string} from @returns {ArvImageVersions} */
function pick(m, from) {
  for (const k of ["GO_VERSION", "SINGULARITY_VERSION", "AUTOSCALER_COMMIT", "CUDA_KEYRING_VERSION"]) {
    if (typeof m[k] !== "string") throw new Error(`${from} has no string ${k}`);
  }
  if (!Array.isArray(m.APT_PINS)) throw new Error(`${from} has no APT_PINS list`);
  if (typeof m.URLS !== "object" || m.URLS === null) throw new Error(`${from} has no URLS`);
  return /** @type {ArvImageVersions} */ ({
    GO_VERSION: m.GO_VERSION,
    SINGULARITY_VERSION: m.SINGULARITY_VERSION,
    AUTOSCALER_COMMIT: m.AUTOSCALER_COMMIT,
    CUDA_KEYRING_VERSION: m.CUDA_KEYRING_VERSION,
    URLS: { ...m.URLS },
    APT_PINS: m.APT_PINS.map((p) => ({ packages: String(p.packages), version: String(p.version) })),
  });
}

/** @returns {Promise<ArvImageVersions>} */
export async function loadVersions(root = REPO_ROOT) {
  const src = `${root}src/releases/versions.ts`;
  const dist = `${root}dist/releases/versions.js`;
  /** @type {unknown} */
  let srcError;
  try {
    const ts = (await import("typescript")).default;
    const out = ts.transpileModule(readFileSync(src, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const m = await import(`data:text/javascript;base64,${Buffer.from(out).toString("base64")}`);
    return pick(m, src);
  } catch (e) {
    srcError = e;
  }
  if (existsSync(dist)) return pick(await import(pathToFileURL(dist).href), dist);
  throw new Error(`cannot read arv-image's versions: ${src}: ${String(srcError)}; and no ${dist} (npm run build)`);
}
