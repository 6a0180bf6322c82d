/** --help wrapped to the terminal: at word boundaries, never mid-word, within the width. */
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../dist/cli/program.js";
import { wrapWords } from "../../dist/cli/help.js";
import { flagsFor } from "../../dist/config/flags.js";

async function help(args: string[], width: number): Promise<string> {
  let out = "";
  const io = { stdout: (s: string) => (out += s), stderr: (s: string | Uint8Array) => (out += String(s)) };
  try {
    await buildProgram(io, args, width).parseAsync(args, { from: "user" });
  } catch (e) {
    if ((e as { code?: string }).code !== "commander.helpDisplayed") throw e;
  }
  return out;
}

/** The part of a help line after its term column (the whole line when it has none). */
const descriptionPart = (line: string) => line.trim().split(/ {2,}/).pop() ?? "";

describe("help", () => {
  for (const width of [80, 60]) {
    it(`fits ${width} columns, breaking lines only between words`, async () => {
      for (const args of [["--help"], ...["render", "config", "validate", "preflight", "provision", "gc", "urls", "build", "completion"].map((c) => [c, "--help"])]) {
        const text = await help(args, width);
        expect(text).toContain("Usage: arv-image");
        for (const line of text.split("\n")) {
          // Longer only when it is one word that fits no line (a long dotted config key).
          if (line.length > width) expect(descriptionPart(line), `${args.join(" ")} at ${width}: ${line}`).not.toContain(" ");
        }
      }
    });
  }

  it("keeps every word of the flag help whole", async () => {
    const words = (s: string) => new Set(s.split(/\s+/).filter((w) => w !== ""));
    for (const width of [80, 60]) {
      const shown = words(await help(["build", "--help"], width));
      for (const f of flagsFor("build")) for (const w of words(f.help)) expect(shown.has(w), `"${w}" at ${width}`).toBe(true);
    }
  });

  it("wrapWords breaks at spaces only, and leaves a too-long word whole on its own line", () => {
    expect(wrapWords("aaa bbb ccc", 7)).toEqual(["aaa bbb", "ccc"]);
    expect(wrapWords("a verylongword b", 5)).toEqual(["a", "verylongword", "b"]);
    expect(wrapWords("one\ntwo three", 20)).toEqual(["one", "two three"]);
  });
});
