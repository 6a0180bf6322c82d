/**
 * Scenarios with loopback cloud servers, run inside a fresh network namespace where the
 * machine allows it (root and `unshare --net`, as in CI): the namespace has only `lo`, so
 * neither the CLI nor an SDK default (IMDS at 169.254.169.254, a real endpoint) can reach
 * anything outside. Elsewhere the scenario runs on the host's loopback and says so.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./cli.js";

// Its own PID namespace too: when the scenario is killed (a hang), every process in it goes.
const UNSHARE = ["--net", "--pid", "--fork", "--kill-child"];
const probe = spawnSync("unshare", [...UNSHARE, "--", "ip", "link", "set", "lo", "up"], { stdio: "ignore" });
/** True when scenarios run in their own network namespace. */
export const NETNS = probe.status === 0;
if (!NETNS) console.warn("netns.ts: `unshare --net` is not available here (needs root and iproute2); loopback scenarios run in the host's network namespace");

export interface Scenario {
  argv: string[];
  /** The CLI's whole environment (nothing is inherited); ${EC2_URL} and ${AZURE_URL} are replaced. */
  env?: Record<string, string>;
  cwd?: string;
  ec2?: { state?: object; credentials?: { accessKeyId: string; secretAccessKey: string }; faults?: object };
  azure?: { state: object; faults?: object; tlsDir: string };
}

export interface RequestEntry {
  action?: string;
  params?: Record<string, string>;
  method?: string;
  path?: string;
  route?: string;
  status?: number;
  [k: string]: unknown;
}

export interface ScenarioResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  urls: Record<string, string>;
  ec2: {
    requests: RequestEntry[];
    state: { instances: { instanceId: string; state: string }[]; securityGroups: { groupId: string }[]; keyPairs: { keyName: string }[]; images: { imageId: string }[] };
  };
  azure: { requests: RequestEntry[] };
}

/** Runs a command, killing it (SIGKILL) if it is still running after `ms`. */
function runWithin(cmd: string, args: string[], env: NodeJS.ProcessEnv, ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(scenario killed after ${ms / 1000} s)`;
      child.kill("SIGKILL");
    }, ms);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function scenario(s: Scenario, timeoutMs = 100_000): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), "arv-image-scenario-"));
  try {
    const spec = join(dir, "spec.json");
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...s.env };
    writeFileSync(spec, JSON.stringify({ ...s, env }));
    const runner = `${REPO}test/support/netns-run.mjs`;
    const r = NETNS
      ? await runWithin("unshare", [...UNSHARE, "--", process.execPath, runner, spec], { ...process.env, ARV_IMAGE_TEST_NETNS: "1" }, timeoutMs)
      : await runWithin(process.execPath, [runner, spec], process.env, timeoutMs);
    if (r.code !== 0) throw new Error(`scenario runner failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as ScenarioResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
