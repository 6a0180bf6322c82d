/**
 * PackerStream (what `build` does with Packer's output) against the plain definition:
 * split into lines, scrub each, log it, parse it, collect artifacts/errors, humanize it.
 * Its fast paths (whole blocks of plain ui lines, raw bytes to the log when there is no
 * secret) must give exactly the same log, view, artifacts and errors, however the output
 * is cut into chunks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { humanize } from "../../dist/packer/live-view.js";
import { escapeField, parseLine } from "../../dist/packer/machine-readable.js";
import { ArtifactCollector, ErrorCollector } from "../../dist/packer/results.js";
import { makeScrubber } from "../../dist/packer/environment.js";
import { PackerStream } from "../../dist/packer/stream.js";
import { freeText } from "../support/arbitrary.js";

function reference(lines: { text: string; err: boolean }[], scrub: (s: string) => string, color: boolean) {
  const artifacts = new ArtifactCollector();
  const errors = new ErrorCollector();
  let log = "";
  let view = "";
  for (const { text } of lines) {
    const line = scrub(text);
    log += line + "\n";
    const p = parseLine(line);
    if (!p) {
      view += line + "\n";
      continue;
    }
    artifacts.add(p);
    errors.add(p);
    const h = humanize(p, { color });
    if (h !== undefined) view += h + "\n";
  }
  return { log, view, images: artifacts.images(), errors: errors.errors(), buildErrors: errors.buildErrors() };
}

const text = freeText.map((s) => s.replaceAll("\n", " ").replaceAll("\r", " "));
const target = fc.constantFrom("", "arvados-compute.amazon-ebs.compute");
const packerLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(target, fc.constantFrom("say", "message"), text).map(([t, k, x]) => `1700000000,${t},ui,${k},${escapeField(x)}`) },
  { weight: 1, arbitrary: fc.tuple(target, text).map(([t, x]) => `1700000000,${t},ui,error,${escapeField(x)}`) },
  { weight: 1, arbitrary: fc.constantFrom("1700000000,amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0", "1700000000,amazon-ebs.compute,artifact,0,end", "1700000000,amazon-ebs.compute,error,Build failed%!(PACKER_COMMA) badly") },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom("", "1700000000,,ui,say,with a CR\r", "1700000000,,ui,message,    x: line\\nwith escapes\\r", "not,machine,readable", "1700000000,,ui,say,%!(PACKER_COMMA)") },
);

describe("PackerStream", () => {
  it("gives the same log, view, images and errors as line-by-line processing, however the output is chunked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ text: packerLine, err: fc.boolean() }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 10 }),
        fc.option(fc.constantFrom("secret-canary", "amazon", "step"), { nil: undefined }),
        fc.boolean(),
        (lines, cuts, secret, color) => {
          const scrub = secret === undefined ? undefined : makeScrubber([secret]);
          const s = new PackerStream({ scrub, color });
          // Each stream gets whole lines in order (as Packer writes them), cut anywhere.
          const out = Buffer.from(lines.filter((l) => !l.err).map((l) => l.text + "\n").join(""));
          const err = Buffer.from(lines.filter((l) => l.err).map((l) => l.text + "\n").join(""));
          let log = Buffer.alloc(0);
          let view = "";
          const take = () => {
            const t = s.take();
            log = Buffer.concat([log, t.log]);
            view += t.view;
          };
          let i = 0;
          for (let pos = 0; pos < out.length; i++) {
            const n = cuts[i % cuts.length] as number;
            s.stdout(out.subarray(pos, pos + n));
            pos += n;
            take();
          }
          s.stderr(err);
          s.end();
          take();
          const ref = reference([...lines.filter((l) => !l.err), ...lines.filter((l) => l.err)], scrub ?? ((x) => x), color);
          expect(log.toString("utf8")).toBe(ref.log);
          expect(view).toBe(ref.view);
          expect(s.artifacts.images()).toEqual(ref.images);
          expect(s.errors.errors()).toEqual(ref.errors);
          expect(s.errors.buildErrors()).toEqual(ref.buildErrors);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("logs Packer's bytes unchanged when there is no secret to scrub, even bytes that are not UTF-8", () => {
    const s = new PackerStream({ scrub: undefined, color: false });
    const bytes = Buffer.concat([Buffer.from("1700000000,,ui,message,    x: "), Buffer.from([0xff, 0xfe]), Buffer.from("\n1700000000,,ui,say,==> done\npartial")]);
    s.stdout(bytes.subarray(0, 7));
    s.stdout(bytes.subarray(7));
    s.end();
    const { log, view } = s.take();
    expect(log.equals(Buffer.concat([bytes, Buffer.from("\n")]))).toBe(true);
    expect(view).toBe("    x: \ufffd\ufffd\n==> done\npartial\n");
  });
});
