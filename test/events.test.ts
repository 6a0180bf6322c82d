/** The JSON events of `--log-format json` (src/events.ts): levels, and secrets however JSON escapes them. */
import { expect, it } from "vitest";
import { jsonEventLog, levelOfText } from "../dist/events.js";
import { makeScrubber } from "../dist/packer/environment.js";

it("redacts a secret in an event, also where JSON escapes it (quotes, backslashes)", async () => {
  const log = await jsonEventLog("info");
  const secret = 'pa"ss\\word-CANARY';
  log.redact(makeScrubber([secret]));
  const line = log.format("info", { type: "packer", note: `x ${secret} y` }, `the password is ${secret}`);
  expect(line.endsWith("\n")).toBe(true);
  expect(line).not.toContain("CANARY");
  expect(JSON.parse(line)).toMatchObject({ level: "info", type: "packer", msg: "the password is <redacted>", note: "x <redacted> y" });
});

it("leaves out events below --log-level", async () => {
  const log = await jsonEventLog("warn");
  expect(log.format("info", {}, "progress")).toBe("");
  expect(JSON.parse(log.format("error", { type: "error" }, "failed"))).toMatchObject({ level: "error", msg: "failed" });
});

it("reads the level of arv-image's own text", () => {
  expect(levelOfText("arv-image: warning: cannot write x")).toBe("warn");
  expect(levelOfText("arv-image: build directory /x")).toBe("info");
  expect(levelOfText("arv-image: internal error: boom")).toBe("error");
});
