/**
 * The e2e SSH target (test/support/target.ts) with real Packer: a null-builder build over SSH
 * with sudo, as the provisioning tier will run arv-image's scripts.
 *
 * Needs root, unshare, packer, and (for the first run, about a minute) debootstrap plus the
 * Debian mirror to build the cached rootfs. Without root or debootstrap (and no cached rootfs)
 * the file is skipped with a warning; ARV_IMAGE_E2E_REQUIRE=1 makes that a failure instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureRootfs, rootfsPath } from "../../scripts/e2e/rootfs.mjs";
import { run } from "../support/cli.js";
import { startTarget, type Target } from "../support/target.js";
import { packerEnv, requireTool } from "../support/tools.js";

const have = (cmd: string, args = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const missing: string[] = [];
if (process.getuid?.() !== 0) missing.push("root");
if (!have("unshare", ["--mount", "--pid", "--fork", "true"])) missing.push("unshare --mount --pid");
if (!existsSync(rootfsPath()) && !have("debootstrap", ["--version"])) missing.push("debootstrap (apt-get install -y debootstrap) or a cached rootfs");
const SKIP = missing.length > 0;
if (SKIP) {
  const message = `test/e2e/target.test.ts: needs ${missing.join(", ")}`;
  if (process.env.ARV_IMAGE_E2E_REQUIRE) throw new Error(message);
  console.warn(`${message}; skipped`);
}

const NULL_TEMPLATE = `
variable "ssh_port" {
  type = number
}
variable "ssh_key" {
  type = string
}
variable "marker" {
  type = string
}

source "null" "target" {
  communicator         = "ssh"
  ssh_host             = "127.0.0.1"
  ssh_port             = var.ssh_port
  ssh_username         = "admin"
  ssh_private_key_file = var.ssh_key
  ssh_timeout          = "20s"
}

build {
  sources = ["source.null.target"]

  provisioner "shell" {
    execute_command  = "sudo -S env {{ .Vars }} {{ .Path }}"
    environment_vars = ["ARV_E2E_MARKER=\${var.marker}"]
    inline = [
      "echo \\"uid=$(id -u)\\"",
      "apt-get --version | head -n 1",
      "systemctl --version | head -n 1",
      "printf '%s\\\\n' \\"$ARV_E2E_MARKER\\" > /var/tmp/arv-e2e-marker",
    ]
  }
}
`;

let work: string;
let privateKey: string;
let publicKey: string;

beforeAll(async () => {
  if (SKIP) return;
  await requireTool("packer", ["version"]);
  work = mkdtempSync(join(tmpdir(), "arv-image-e2e-target-"));
  privateKey = join(work, "id_ed25519");
  const keygen = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "arv-image-e2e", "-f", privateKey]);
  expect(keygen.code, keygen.stderr).toBe(0);
  publicKey = readFileSync(`${privateKey}.pub`, "utf8").trim();
  writeFileSync(join(work, "null.pkr.hcl"), NULL_TEMPLATE);
  const t0 = Date.now();
  await ensureRootfs({ onBuild: (p) => console.warn(`building the e2e rootfs ${p} (about a minute, once)...`) });
  if (Date.now() - t0 > 1000) console.warn(`e2e rootfs ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function packerBuild(target: Target, marker: string) {
  return run("packer", ["build", "-color=false", "-var", `ssh_port=${target.port}`, "-var", `ssh_key=${privateKey}`, "-var", `marker=${marker}`, "null.pkr.hcl"], {
    cwd: work,
    env: { ...packerEnv, HOME: work, PACKER_LOG: "" },
  });
}

/** PIDs of processes that belong to a target: its unshare/PID 1 (argv names the dir) or its sshd. */
function processesOf(target: Pick<Target, "dir" | "port">): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let argv: string;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue; // gone meanwhile
    }
    if (argv.includes(target.dir) || (argv.includes("sshd") && argv.includes(`-p ${target.port} `))) found.push(`${pid}: ${argv}`);
  }
  return found;
}

function sshBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
    socket.once("data", (d: string) => (resolve(d.split("\r\n")[0] ?? ""), socket.destroy()));
    socket.once("error", reject);
  });
}

function portRefuses(port: number): Promise<boolean> {
  return sshBanner(port).then(
    () => false,
    (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED",
  );
}

describe.skipIf(SKIP)("e2e SSH target (debootstrap rootfs, sshd in unshare+chroot)", () => {
  it("takes a real packer null build with sudo, then stops without leftovers", async () => {
    const t0 = Date.now();
    const target = await startTarget({ authorizedKey: publicKey });
    const started = Date.now() - t0;
    let built: number | undefined;
    try {
      expect(target).toMatchObject({ host: "127.0.0.1", user: "admin" });
      expect(await sshBanner(target.port)).toMatch(/^SSH-2\.0-OpenSSH_9\./);

      const t1 = Date.now();
      const r = await packerBuild(target, "hello e2e");
      built = Date.now() - t1;
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/null\.target: uid=0$/m);
      expect(r.stdout).toMatch(/null\.target: apt 2\.6\.\d+/m);
      expect(r.stdout).toMatch(/null\.target: systemd 252 /m);

      // The file the provisioner wrote as root, seen from the host and from inside.
      expect(readFileSync(join(target.root, "var/tmp/arv-e2e-marker"), "utf8")).toBe("hello e2e\n");
      const inside = await target.run("stat -c '%U %a' /var/tmp/arv-e2e-marker; hostname; cat /etc/debian_version");
      expect(inside.code, inside.stderr).toBe(0);
      expect(inside.stdout).toMatch(/^root 644\narv-e2e\n12\.\d+\n$/);
      // What the provisioning scripts will see: a chroot without a running systemd.
      const env = await target.run("test -d /run/systemd/system && echo systemd-running; systemctl is-enabled ssh.service; test -x /usr/sbin/policy-rc.d && echo policy-rc.d");
      expect(env.stdout).toBe("enabled\npolicy-rc.d\n");
    } finally {
      await target.stop();
    }
    console.warn(`e2e target: started in ${started} ms, packer null build ${built} ms`);
    expect(processesOf(target)).toEqual([]);
    expect(existsSync(target.dir)).toBe(false);
    expect(existsSync(target.root)).toBe(false);
    expect(await portRefuses(target.port)).toBe(true);
    await target.stop(); // idempotent
  });

  it("fails clearly and leaves nothing behind when a target cannot start", async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("arv-image-target-"));
    await expect(startTarget({ authorizedKey: publicKey, source: join(work, "missing.tar.zst") })).rejects.toThrow(/failed to start: it exited[\s\S]*no tarball or directory/);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("arv-image-target-"))).toEqual(before);
  });

  it("runs two targets at once on different ports, each with its own filesystem", async () => {
    const targets = await Promise.all([startTarget({ authorizedKey: publicKey }), startTarget({ authorizedKey: publicKey })]);
    const [a, b] = targets;
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.dir).not.toBe(b.dir);
      const [ra, rb] = await Promise.all([packerBuild(a, "first"), packerBuild(b, "second")]);
      expect(ra.code, ra.stdout).toBe(0);
      expect(rb.code, rb.stdout).toBe(0);
      expect(readFileSync(join(a.root, "var/tmp/arv-e2e-marker"), "utf8")).toBe("first\n");
      expect(readFileSync(join(b.root, "var/tmp/arv-e2e-marker"), "utf8")).toBe("second\n");
      // Stopping one leaves the other running.
      await a.stop();
      expect(await portRefuses(a.port)).toBe(true);
      expect(await sshBanner(b.port)).toMatch(/^SSH-2\.0-OpenSSH/);
      expect((await b.run("cat /var/tmp/arv-e2e-marker")).stdout).toBe("second\n");
    } finally {
      await Promise.all(targets.map((t) => t.stop()));
    }
    for (const t of targets) {
      expect(processesOf(t)).toEqual([]);
      expect(existsSync(t.dir)).toBe(false);
    }
  });
});
