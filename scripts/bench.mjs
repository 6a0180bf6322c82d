#!/usr/bin/env node
// npm run bench: arv-image's performance goals, measured (never as a timed test).
//  (a) start-up: `arv-image --help` and `arv-image render …` against bare `node -e 0`;
//      target: render <= 2.5x bare node, with --packer-version and with Packer on the PATH
//      (its version then read from the cache of src/packer/version.ts after one warm-up run).
//  (b) streaming: `arv-image build` reading 200,000 machine-readable lines from the
//      stand-in packer, against `stand-in | tee log`; targets: <= 2x tee, peak RSS <= 120 MB
//      (memory stays flat however long the output).
//      Both sides time the same span, from starting the stand-in until the log has every
//      line: bash times the tee pipeline, arv-image reports its `packer build` (packerSeconds
//      in --json). The whole build's wall time (it also renders and runs `packer version` and
//      `packer validate`, which (a) covers) and its peak RSS are reported too.
// Times are medians of several runs; peak RSS comes from GNU time (%M).
// Exits 1 when a target is missed. Needs `npm run build` first and /usr/bin/time.
// `--only startup` or `--only streaming` runs one half (for working on it).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "dist/bin.js");
const KEY = join(ROOT, "test/fixtures/dispatch.pub");
const tmp = mkdtempSync(join(tmpdir(), "arv-image-bench-"));
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];
if (only !== undefined && only !== "startup" && only !== "streaming") {
  console.error(`bench: --only takes startup or streaming, not ${JSON.stringify(only)}`);
  process.exit(2);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run under GNU time: wall time (ms), peak RSS (KB) and stdout. */
function runOnce(label, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...args], { env, encoding: "utf8", maxBuffer: 1 << 30 });
  const t1 = process.hrtime.bigint();
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  return { ms: Number(t1 - t0) / 1e6, rssKB: Number(r.stderr.trim().split("\n").pop()), stdout: r.stdout };
}

/** Median wall time, peak RSS and, with `metric`, the median of what it reads from each run's stdout. */
function summarize(label, runs, metric) {
  return {
    label,
    median: median(runs.map((r) => r.ms)),
    rssMB: Math.max(...runs.map((r) => r.rssKB)) / 1024,
    metric: metric ? median(runs.map((r) => metric(r.stdout))) : undefined,
  };
}

const rows = [];
const fails = [];
const report = (m, base, target) => {
  const ratio = base ? m.median / base.median : undefined;
  rows.push([m.label, `${m.median.toFixed(0)} ms`, ratio ? `${ratio.toFixed(2)}x` : "", `${m.rssMB.toFixed(0)} MB`, target ?? ""]);
  return ratio;
};

// (a) start-up
if (only !== "streaming") {
  const nodeArgv = [process.execPath, "-e", "0"];
  const helpArgv = [process.execPath, BIN, "--help"];
  const renderArgv = (i) => [
    process.execPath,
    BIN,
    "render",
    "--cloud",
    "aws",
    "--arvados-cluster-id",
    "zzzzz",
    "--public-key-file",
    KEY,
    "--packer-version",
    "1.6.6",
    "--out",
    join(tmp, `render-${i}`),
  ];
  // Without --packer-version: `packer version` of the Packer on the PATH, asked once per
  // binary and then read from the cache (a private cache home, warmed by one run first).
  const detectArgv = (i) => [process.execPath, BIN, "render", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", KEY, "--out", join(tmp, `detect-${i}`)];
  const detectEnv = { ...process.env, XDG_CACHE_HOME: join(tmp, "cache") };
  const havePacker = spawnSync("packer", ["version"], { encoding: "utf8" }).status === 0;
  if (havePacker) runOnce("warm-up", detectArgv("warm"), detectEnv);
  // Alternated, so that the machine's changing load weighs on all alike.
  const runs = { node: [], help: [], render: [], detect: [] };
  for (let i = 0; i < 21; i++) {
    runs.node.push(runOnce("node", nodeArgv, process.env));
    runs.help.push(runOnce("help", helpArgv, process.env));
    runs.render.push(runOnce("render", renderArgv(i), process.env));
    if (havePacker) runs.detect.push(runOnce("render (packer on the PATH)", detectArgv(i), detectEnv));
  }
  const node = summarize("node -e 0", runs.node);
  const help = summarize("arv-image --help", runs.help);
  const render = summarize("arv-image render (aws, --packer-version 1.6.6)", runs.render);
  report(node);
  report(help, node);
  const renderRatio = report(render, node, "<= 2.5x node");
  if (renderRatio > 2.5) fails.push(`render is ${renderRatio.toFixed(2)}x bare node start (target 2.5x)`);
  if (havePacker) {
    const detect = summarize("arv-image render (aws, packer on the PATH, version cached)", runs.detect);
    const detectRatio = report(detect, node, "<= 2.5x node");
    if (detectRatio > 2.5) fails.push(`render with packer on the PATH is ${detectRatio.toFixed(2)}x bare node start (target 2.5x)`);
  } else rows.push(["arv-image render (packer on the PATH)", "skipped: no packer on the PATH", "", "", "<= 2.5x node"]);
}

// (b) streaming 200,000 lines
if (only !== "startup") {
  const N = 200_000;
  const lines = [];
  for (let i = 0; i < N; i++) {
    lines.push(
      i % 10 === 0
        ? `1700000000,,ui,say,==> amazon-ebs.compute: step ${i}`
        : `1700000000,,ui,message,    amazon-ebs.compute: Unpacking package-${i}%!(PACKER_COMMA) version 1.${i} ...`,
    );
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
  // Both sides time the same span: from starting the stand-in until its output is all in the
  // log file. bash times its pipeline; arv-image reports its `packer build` in --json
  // (packerSeconds). Its other work (render, packer version and validate) is in (a) and in
  // the whole build's time, not in this ratio.
  const teeLog = join(tmp, "tee.log");
  const teeArgv = ["bash", "-c", `t=$(date +%s%N); packer build -machine-readable . | tee ${teeLog} >/dev/null; echo $((($(date +%s%N) - t) / 1000))`];
  const buildArgv = (i) => [
    "bash",
    "-c",
    `exec "$0" "$@" 2>/dev/null`,
    process.execPath,
    BIN,
    "build",
    "--json",
    "--cloud",
    "aws",
    "--arvados-cluster-id",
    "zzzzz",
    "--public-key-file",
    KEY,
    "--skip-preflight",
    "--out",
    join(tmp, `build-${i}`),
  ];
  // The least a Node program with a line-by-line view does (scripts/bench-line-floor.mjs):
  // a yardstick, not a target.
  const floorArgv = ["bash", "-c", `cd "$0" && exec node "$1" "$2" 2>/dev/null`, tmp, join(ROOT, "scripts/bench-line-floor.mjs"), join(tmp, "floor.log")];
  // Alternated, so that the machine's changing load weighs on all sides alike.
  const teeRuns = [];
  const floorRuns = [];
  const buildRuns = [];
  for (let i = 0; i < 21; i++) {
    teeRuns.push(runOnce("tee", teeArgv, env));
    floorRuns.push(runOnce("floor", floorArgv, env));
    buildRuns.push(runOnce("build", buildArgv(i), env));
  }
  const tee = summarize("stand-in packer build | tee log", teeRuns, (stdout) => Number(stdout.trim()) / 1000);
  const build = summarize("arv-image build --json (200k lines)", buildRuns, (stdout) => JSON.parse(stdout).packerSeconds * 1000);
  const teeRow = { label: "stand-in packer build | tee log (timed by bash)", median: tee.metric, rssMB: tee.rssMB };
  report(teeRow);
  const floor = summarize("bare Node line-by-line view (bench-line-floor.mjs)", floorRuns, (stdout) => Number(stdout.trim()));
  report({ label: floor.label, median: floor.metric, rssMB: floor.rssMB }, teeRow, "(yardstick)");
  report(build);
  const streamRatio = report({ label: "  of which packer build, streamed (packerSeconds)", median: build.metric, rssMB: build.rssMB }, teeRow, "<= 2x tee, <= 120 MB");
  if (streamRatio > 2) fails.push(`streaming is ${streamRatio.toFixed(2)}x tee (target 2x)`);
  if (build.rssMB > 120) fails.push(`build's peak RSS ${build.rssMB.toFixed(0)} MB (target 120 MB)`);
}

rmSync(tmp, { recursive: true, force: true });
const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c].length), 4));
console.log(`arv-image bench on ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
if (fails.length) {
  console.log(`\nMISSED: ${fails.join("; ")}`);
  process.exitCode = 1;
} else console.log("\nall targets met");
