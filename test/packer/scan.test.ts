/**
 * The live view's scanners (src/packer/scan.ts): the WebAssembly module is what scan.wat
 * assembles to, and a Node without WebAssembly falls back to the JavaScript scanner.
 * (Their output is held to the plain definition in stream.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { REPO, run } from "../support/cli.js";

describe("plain-line scanners", () => {
  it("the committed WebAssembly module is what src/packer/scan.wat assembles to", async () => {
    const r = await run(process.execPath, [`${REPO}scripts/assemble-wasm.mjs`, "--check"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/matches scan\.wat/);
  });

  it("without WebAssembly (node --jitless) the JavaScript scanner is chosen", async () => {
    const probe = `import("${REPO}dist/packer/scan.js").then((m) => console.log(JSON.stringify({ wasm: m.wasmScanner() !== undefined, js: m.plainScanner() === m.jsScanner })))`;
    const jitless = await run(process.execPath, ["--jitless", "--no-warnings", "-e", probe]);
    expect(jitless.code, jitless.stderr).toBe(0);
    expect(JSON.parse(jitless.stdout)).toEqual({ wasm: false, js: true });
    const normal = await run(process.execPath, ["-e", probe]);
    expect(JSON.parse(normal.stdout)).toEqual({ wasm: true, js: false });
  });
});
