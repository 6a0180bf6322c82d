#!/usr/bin/env node
// npm run bench: arv-image's performance goals, measured (never as a timed test).
//  (a) start-up: `arv-image --help` and `arv-image render …` against bare `node -e 0`;
//      target: render <= 2.5x bare node.
//  (b) streaming: `arv-image build` reading 200,000 machine-readable lines from the
//      stand-in packer, against `stand-in | tee log`; targets: <= 1.5x tee, peak RSS <= 120 MB.
//      The streaming cost is the whole build's time minus the same build's replaying only
//      the artifact lines: `build` also renders, runs `packer version` and `packer validate` (fixed
//      costs that (a) measures), which tee does not.
// Wall time is the median of several runs; peak RSS comes from GNU time (%M).
// Exits 1 when a target is missed. Needs `npm run build` first and /usr/bin/time.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "dist/bin.js");
const KEY = join(ROOT, "test/fixtures/dispatch.pub");
const tmp = mkdtempSync(join(tmpdir(), "arv-image-bench-"));

function measure(label, argv, { env = process.env, runs = 15, setup } = {}) {
  const times = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const args = setup ? setup(i, argv) : argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "%M", ...args], { env, encoding: "utf8", maxBuffer: 1 << 30 });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
    times.push(Number(t1 - t0) / 1e6);
    rss = Math.max(rss, Number(r.stderr.trim().split("\n").pop()));
  }
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(times.length / 2)], rssMB: rss / 1024 };
}

const rows = [];
const fails = [];
const report = (m, base, target) => {
  const ratio = base ? m.median / base.median : undefined;
  rows.push([m.label, `${m.median.toFixed(0)} ms`, ratio ? `${ratio.toFixed(2)}x` : "", `${m.rssMB.toFixed(0)} MB`, target ?? ""]);
  return ratio;
};

// (a) start-up
const node = measure("node -e 0", [process.execPath, "-e", "0"]);
const help = measure("arv-image --help", [process.execPath, BIN, "--help"]);
const render = measure("arv-image render (aws, --packer-version 1.6.6)", [], {
  setup: (i) => [process.execPath, BIN, "render", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", KEY, "--packer-version", "1.6.6", "--out", join(tmp, `render-${i}`)],
});
report(node);
report(help, node);
const renderRatio = report(render, node, "<= 2.5x node");
if (renderRatio > 2.5) fails.push(`render is ${renderRatio.toFixed(2)}x bare node start (target 2.5x)`);

// (b) streaming 200,000 lines
const N = 200_000;
const lines = [];
for (let i = 0; i < N; i++) {
  lines.push(i % 10 === 0 ? `1700000000,,ui,say,==> amazon-ebs.compute: step ${i}` : `1700000000,,ui,message,    amazon-ebs.compute: Unpacking package-${i}%!(PACKER_COMMA) version 1.${i} ...`);
}
lines.push(
  "1700000000,amazon-ebs.compute,artifact,0,builder-id,mitchellh.amazonebs",
  "1700000000,amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0",
  "1700000000,amazon-ebs.compute,artifact,0,end",
);
const replay = join(tmp, "replay.log");
writeFileSync(replay, lines.join("\n") + "\n");
const standIn = join(tmp, "stand-in");
spawnSync("mkdir", ["-p", standIn]);
copyFileSync(join(ROOT, "test/support/stand-in-packer/packer"), join(standIn, "packer"));
writeFileSync(join(standIn, "scenario"), `REPLAY=${JSON.stringify(replay)}\n`);
// After the stand-in's "successful" AWS build, arv-image untags the new AMI through EC2:
// that call goes to a closed loopback port here (it fails at once), never to AWS.
const env = { ...process.env, PATH: `${standIn}:${process.env.PATH}`, AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9" };
const tee = measure("stand-in packer build | tee log", ["bash", "-c", `packer build -machine-readable . | tee ${join(tmp, "tee.log")} >/dev/null`], { env, runs: 7 });
const buildArgv = (i) => ["bash", "-c", `exec "$0" "$@" >/dev/null 2>&1`, process.execPath, BIN, "build", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", KEY, "--skip-preflight", "--out", join(tmp, `build-${i}-${Math.random().toString(36).slice(2)}`)];
const stream = measure("arv-image build (200k lines)", [], { env, runs: 7, setup: buildArgv });
const one = join(tmp, "one.log");
writeFileSync(one, lines.slice(-3).join("\n") + "\n");
writeFileSync(join(standIn, "scenario"), `REPLAY=${JSON.stringify(one)}\n`);
const fixed = measure("arv-image build (only the 3 artifact lines)", [], { env, runs: 7, setup: buildArgv });
report(tee);
report(stream);
report(fixed);
const streamOnly = { label: "streaming cost (difference of the two)", median: stream.median - fixed.median, rssMB: stream.rssMB };
const streamRatio = report(streamOnly, tee, "<= 1.5x tee, <= 120 MB");
if (streamRatio > 1.5) fails.push(`streaming is ${streamRatio.toFixed(2)}x tee (target 1.5x)`);
if (stream.rssMB > 120) fails.push(`streaming peak RSS ${stream.rssMB.toFixed(0)} MB (target 120 MB)`);

rmSync(tmp, { recursive: true, force: true });
const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c].length), 4));
console.log(`arv-image bench on ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
if (fails.length) {
  console.log(`\nMISSED: ${fails.join("; ")}`);
  process.exitCode = 1;
} else console.log("\nall targets met");
