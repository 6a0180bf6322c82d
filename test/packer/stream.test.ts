/**
 * PackerStream (what `build` does with Packer's output, in one pass) against the plain
 * definition: split into lines, scrub each, log it, parse it, collect artifacts/errors, and
 * hand it to the live view, one line at a time. Its fast paths (whole chunks decoded and
 * scrubbed at once, raw bytes to the log when there is no secret, parseLine's ui path) must
 * give exactly the same log, view, phases, artifacts and errors, however the output is chunked.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BuildView, type BuildViewOptions } from "../../dist/packer/build-view.js";
import { jsonEventLog } from "../../dist/events.js";
import { escapeField, parseLine } from "../../dist/packer/machine-readable.js";
import { ArtifactCollector, ErrorCollector } from "../../dist/packer/results.js";
import { makeScrubber } from "../../dist/packer/environment.js";
import { PackerStream } from "../../dist/packer/stream.js";
import { freeText } from "../support/arbitrary.js";

/** The view's text; a JSON event's time (when it was made) left out, the rest compared. */
const viewText = (v: BuildView) => v.take().text.replace(/"time":"[^"]*"/g, '"time":""');

function reference(lines: { text: string; err: boolean }[], scrub: (s: string) => string, view: BuildViewOptions) {
  const artifacts = new ArtifactCollector();
  const errors = new ErrorCollector();
  const v = new BuildView(view);
  let log = "";
  for (const { text } of lines) {
    const line = scrub(text);
    log += line + "\n";
    const p = parseLine(line);
    if (p) {
      artifacts.add(p);
      errors.add(p);
    }
    v.line(line, p);
  }
  const timings = v.finish();
  return { log, view: viewText(v), timings, images: artifacts.images(), errors: errors.errors(), buildErrors: errors.buildErrors() };
}

const text = freeText.map((s) => s.replaceAll("\n", " ").replaceAll("\r", " "));
const target = fc.constantFrom("", "arvados-compute.amazon-ebs.compute");
const packerLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(target, fc.constantFrom("say", "message"), text).map(([t, k, x]) => `1700000000,${t},ui,${k},${escapeField(x)}`) },
  { weight: 1, arbitrary: fc.tuple(target, text).map(([t, x]) => `1700000000,${t},ui,error,${escapeField(x)}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "1700000000,amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0",
      "1700000000,amazon-ebs.compute,artifact,0,end",
      "1700000000,amazon-ebs.compute,error,Build failed%!(PACKER_COMMA) badly",
    ),
  },
  { weight: 1, arbitrary: text },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "1700000000,,ui,say,with a CR\r",
      "1700000000,,ui,message,    x: line\\nwith escapes\\r",
      "not,machine,readable",
      "1700000000,,ui,say,%!(PACKER_COMMA)",
    ),
  },
  // Near misses of a plain progress line, each part varied on its own, and text that ends
  // inside an escape: the fast path must take exactly the lines parseLine + humanize would.
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("", "1", "1700000000", "123456789012345", "1234567890123456", "17x0", " 1"),
        fc.constantFrom("", "amazon-ebs.compute", "a\rb", "a,b"),
        fc.constantFrom("ui", "u", "uix", "UI"),
        fc.constantFrom("say", "message", "sa", "says", "messag", "error", ""),
        fc.constantFrom(",", "", ",,"),
        fc.array(fc.constantFrom("x", " ", ",", "%", "%!(PACKER_COMMA)", "%!(PACKER_COMMA", "\\", "\\n", "\\r", "\\\\n", "\r", "é", "😀"), { maxLength: 6 }),
      )
      .map(([ts, t, ui, kind, sep, text]) => `${ts},${t},${ui},${kind}${sep}${text.join("")}`),
  },
);

const events = await jsonEventLog("debug");
const viewOptions = fc.constantFrom<BuildViewOptions>(
  { mode: "plain" },
  { mode: "tty", color: false },
  { mode: "tty", color: true, scripts: ["10-base.sh"] },
  { mode: "json", events, level: "debug" },
);

describe("PackerStream", () => {
  it("gives the same log, view, phases, images and errors as line-by-line processing, however the output is chunked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ text: packerLine, err: fc.boolean() }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 10 }),
        fc.option(fc.constantFrom("secret-canary", "amazon", "step"), { nil: undefined }),
        viewOptions,
        (lines, cuts, secret, viewOpts) => {
          const scrub = secret === undefined ? undefined : makeScrubber([secret]);
          const view = new BuildView(viewOpts);
          const s = new PackerStream({ scrub, view });
          // Each stream gets whole lines in order (as Packer writes them), cut anywhere.
          const out = Buffer.from(
            lines
              .filter((l) => !l.err)
              .map((l) => l.text + "\n")
              .join(""),
          );
          const err = Buffer.from(
            lines
              .filter((l) => l.err)
              .map((l) => l.text + "\n")
              .join(""),
          );
          let log = Buffer.alloc(0);
          let shown = "";
          const take = () => {
            log = Buffer.concat([log, ...s.takeLog()]);
            shown += viewText(view);
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
          const timings = view.finish();
          take();
          const ref = reference([...lines.filter((l) => !l.err), ...lines.filter((l) => l.err)], scrub ?? ((x) => x), viewOpts);
          expect(log.toString("utf8")).toBe(ref.log);
          expect(shown).toBe(ref.view);
          expect(timings).toEqual(ref.timings);
          expect(s.artifacts.images()).toEqual(ref.images);
          expect(s.errors.errors()).toEqual(ref.errors);
          expect(s.errors.buildErrors()).toEqual(ref.buildErrors);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("logs Packer's bytes unchanged when there is no secret to scrub, even bytes that are not UTF-8", () => {
    const view = new BuildView({ mode: "tty" });
    const s = new PackerStream({ scrub: undefined, view });
    const bytes = Buffer.concat([Buffer.from("1700000000,,ui,message,    x: "), Buffer.from([0xff, 0xfe]), Buffer.from("\n1700000000,,ui,say,==> done\npartial")]);
    s.stdout(bytes.subarray(0, 7));
    s.stdout(bytes.subarray(7));
    s.end();
    expect(Buffer.concat(s.takeLog()).equals(Buffer.concat([bytes, Buffer.from("\n")]))).toBe(true);
    expect(view.take().text).toBe("-- launching\n    \ufffd\ufffd\n==> done\npartial\n");
  });

  it("keeps order and bytes across megabytes of view in chunks of any size, and a view never changes once taken", () => {
    // 3 MiB of output: plain lines with escapes and multi-byte text, and now and then a line
    // that is not plain, fed in chunks from a few bytes up to 1.5 MiB at once.
    const lines: string[] = [];
    for (let i = 0, length = 0; length < 3 << 20; i++, length += (lines.at(-1) as string).length + 1) {
      if (i % 997 === 0) lines.push(`1700000000,amazon-ebs.compute,artifact,0,id,us-east-1:ami-${i}`);
      else if (i % 991 === 0) lines.push(`1700000000,,ui,error,   e: failed%!(PACKER_COMMA) ${i}`);
      else lines.push(`${1700000000 + (i >> 10)},,ui,${i % 3 ? "message" : "say"},    x: ${"é😀".repeat(i % 5)}line ${i}%!(PACKER_COMMA) a\\nb ${"y".repeat(i % 200)}`);
    }
    const bytes = Buffer.from(lines.map((l) => l + "\n").join(""));
    const ref = reference(
      lines.map((text) => ({ text, err: false })),
      (x) => x,
      { mode: "plain" },
    );
    const view = new BuildView({ mode: "plain" });
    const s = new PackerStream({ view });
    // Views are copied when taken; every other one is kept, and none may change afterwards.
    const copies: Buffer[] = [];
    const kept: { bytes: Buffer; copy: Buffer }[] = [];
    const logs: Buffer[] = [];
    const take = (k: number) => {
      logs.push(...s.takeLog());
      const { bytes } = view.take();
      const copy = Buffer.from(bytes);
      copies.push(copy);
      if (k % 2 === 1) kept.push({ bytes, copy });
    };
    const sizes = [7, 65536, 1 << 20, 1536 * 1024, 333, 4096, 250_000];
    let k = 0;
    for (let pos = 0; pos < bytes.length; k++) {
      const n = sizes[k % sizes.length] as number;
      s.stdout(bytes.subarray(pos, pos + n));
      pos += n;
      take(k);
    }
    s.end();
    view.finish();
    take(k);
    expect(Buffer.concat(copies).toString("utf8")).toBe(ref.view);
    expect(Buffer.concat(logs).equals(bytes)).toBe(true);
    for (const { bytes, copy } of kept) expect(bytes.equals(copy)).toBe(true);
    expect(s.artifacts.images()).toEqual(ref.images);
  });

  it("never joins an escape across chunks (a backslash ending the chunk stays a backslash)", () => {
    // The second chunk ends where the first had "n" after its backslash: an escape is
    // undone within a line, never with bytes from an earlier chunk.
    const view = new BuildView({ mode: "tty" });
    const s = new PackerStream({ view });
    s.stdout(Buffer.from("1,,ui,say,a\\n\n"));
    s.stdout(Buffer.from("1,,ui,say,a\\\n"));
    s.stdout(Buffer.from("1,,ui,message,%!(PACKER_COMMA)\n"));
    s.stdout(Buffer.from("1,,ui,message,%!(PACKER_COMMA\n"));
    s.end();
    expect(view.take().text).toBe("a\n\na\\\n,\n%!(PACKER_COMMA\n");
  });

  it("hands a line longer than the limit on in pieces cut on characters; the log keeps Packer's bytes, or the scrubbed pieces", () => {
    // Not machine-readable, so that the view shows each piece as it is.
    const line = "plain text " + "é".repeat(20) + " and its end";
    for (const secret of [undefined, "not-in-the-output"]) {
      const view = new BuildView({ mode: "tty" });
      const s = new PackerStream({ view, scrub: secret === undefined ? undefined : makeScrubber([secret]), maxLineBytes: 16 });
      const bytes = Buffer.from(`${line}\n1,,ui,say,next\n`);
      for (let pos = 0; pos < bytes.length; pos += 5) s.stdout(bytes.subarray(pos, pos + 5));
      s.end();
      const shown = view.take().text;
      const pieces = shown.split("\n").slice(0, -2);
      expect(pieces.length).toBeGreaterThan(2);
      expect(pieces.join("")).toBe(line);
      expect(pieces.every((p) => Buffer.byteLength(p) <= 16)).toBe(true);
      const log = Buffer.concat(s.takeLog()).toString("utf8");
      expect(log).toBe(secret === undefined ? bytes.toString("utf8") : pieces.map((p) => p + "\n").join("") + "1,,ui,say,next\n");
    }
  });
});
