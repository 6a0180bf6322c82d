// @ts-check
/**
 * Runs one command in a private network + mount namespace where chosen host names and
 * addresses lead, through Unix-socket relays, to servers of the calling test: for a tool
 * that has no endpoint setting (Packer 1.6.6's azure-arm talks to management.azure.com and
 * login.microsoftonline.com, and SSHes to the public IP the cloud reported).
 *
 *   unshare --net --mount --pid --fork --kill-child -- node test/support/netns-relay.mjs SPEC.json
 *
 * SPEC: { hosts: "/etc/hosts text", relays: [{ host, port, socket }], argv: [cmd, ...args],
 *         env: {...}, cwd? }
 * - brings `lo` up (the namespace has nothing else: any other address fails here, at once);
 * - bind-mounts a file with `hosts` over /etc/hosts (this mount namespace only);
 * - listens on each relay's host:port and pipes every connection to its Unix socket (path
 *   sockets reach across network namespaces; the test's servers listen on them);
 * - runs argv with exactly env, stdout and stderr inherited, and exits with its code (128+n
 *   after signal n). A line "INT" or "TERM" on stdin sends that signal to the command; the end
 *   of stdin (the caller is gone) sends SIGINT.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { constants } from "node:os";
import { dirname, join } from "node:path";

const specFile = process.argv[2] ?? "";
const spec = JSON.parse(readFileSync(specFile, "utf8"));

const netns = readFileSync("/proc/self/net/dev", "utf8")
  .split("\n")
  .slice(2)
  .filter((l) => l.trim())
  .map((l) => l.split(":")[0]?.trim());
if (netns.some((i) => i !== "lo")) throw new Error(`netns-relay.mjs: not in a private network namespace (interfaces: ${netns.join(" ")})`);
execFileSync("ip", ["link", "set", "lo", "up"]);
if (spec.hosts !== undefined) {
  const hostsFile = join(dirname(specFile), "hosts");
  writeFileSync(hostsFile, spec.hosts);
  execFileSync("mount", ["--bind", hostsFile, "/etc/hosts"]);
}

/** @type {import("node:net").Server[]} */
const relays = [];
for (const r of spec.relays ?? []) {
  const server = createServer((c) => {
    const u = connect(r.socket);
    c.pipe(u).pipe(c);
    c.on("error", () => u.destroy());
    u.on("error", () => c.destroy());
  });
  await new Promise((ok, fail) => server.once("error", fail).listen(r.port, r.host, () => ok(undefined)));
  relays.push(server);
}

const child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, env: spec.env, stdio: ["ignore", "inherit", "inherit"] });
process.stdin.setEncoding("utf8");
let buf = "";
process.stdin.on("data", (d) => {
  buf += d;
  for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (line === "INT" || line === "TERM") child.kill(`SIG${line}`);
  }
});
// The caller went away (its end of our stdin closed): interrupt, so the command cleans up and ends.
process.stdin.on("end", () => child.kill("SIGINT"));
const [code, signal] = await new Promise((ok) => child.on("close", (c, s) => ok([c, s])));
for (const s of relays) s.close();
process.exitCode = code ?? 128 + (signal ? (constants.signals[/** @type {NodeJS.Signals} */ (signal)] ?? 0) : 0);
process.exit();
