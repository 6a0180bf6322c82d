// A yardstick for `npm run bench` (b), not part of arv-image: the least any Node program can
// do that shows Packer's output line by line. It starts the stand-in's `packer build`, writes
// every chunk to a log file as it came, and for each whole line writes "[mm:ss] " and the
// line's text (after "timestamp,target,type,kind,", Packer's commas put back) to stderr.
// No phases, no results, no build-name handling, no scrubbing, no back-pressure: arv-image
// does all of that too, so its streaming time cannot go below this one's.
// Prints the milliseconds from starting the stand-in until the log file has every byte.
// Usage: node scripts/bench-line-floor.mjs LOG (the stand-in `packer` on the PATH, run in the cwd).
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { performance } from "node:perf_hooks";

const COMMA = "%!(PACKER_COMMA)";
const started = performance.now();
const log = createWriteStream(process.argv[2], { highWaterMark: 2 << 20 });
const packer = spawn("packer", ["build", "-machine-readable", "."], { stdio: ["ignore", "pipe", "inherit"] });
let held = Buffer.alloc(0);
let firstSecond;
let second = "";
let stamp = "";
const out = Buffer.allocUnsafe(1 << 20);
packer.stdout.on("data", (chunk) => {
  log.write(chunk);
  const last = chunk.lastIndexOf(10);
  if (last === -1) {
    held = Buffer.concat([held, chunk]);
    return;
  }
  const text = held.length === 0 ? chunk.toString("utf8", 0, last + 1) : Buffer.concat([held, chunk.subarray(0, last + 1)]).toString("utf8");
  held = Buffer.from(chunk.subarray(last + 1));
  let view = "";
  for (let from = 0, nl = text.indexOf("\n"); nl !== -1; from = nl + 1, nl = text.indexOf("\n", from)) {
    const c1 = text.indexOf(",", from);
    // Packer's timestamps are whole seconds: one stamp serves many lines.
    if (!text.startsWith(second, from) || c1 - from !== second.length) {
      second = text.slice(from, c1);
      firstSecond ??= Number(second);
      const since = Number(second) - firstSecond;
      stamp = `[${String(Math.floor(since / 60)).padStart(2, "0")}:${String(since % 60).padStart(2, "0")}] `;
    }
    const c3 = text.indexOf(",", text.indexOf(",", c1 + 1) + 1);
    const c4 = text.indexOf(",", c3 + 1);
    let body = text.slice(c4 === -1 || c4 > nl ? c3 + 1 : c4 + 1, nl);
    for (let comma = body.indexOf(COMMA); comma !== -1; comma = body.indexOf(COMMA, comma + 1)) body = body.slice(0, comma) + "," + body.slice(comma + COMMA.length);
    view += stamp + body + "\n";
  }
  // Into bytes per chunk (a long-lived string of many pieces costs more to collect and to write).
  const n = out.write(view, 0, "utf8");
  process.stderr.write(Buffer.from(out.subarray(0, n)));
});
packer.on("close", () => log.end(() => console.log(Math.round(performance.now() - started))));
