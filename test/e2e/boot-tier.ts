/**
 * End-to-end boot tier: the image is a machine. For Debian 12 (bookworm) and Debian 13 (trixie),
 * one test file each (boot-debian12.test.ts, boot-debian13.test.ts: vitest runs files side by
 * side, and most of a release's time is spent waiting on apt and on booting):
 *
 * 1. The release's debootstrap rootfs (scripts/e2e/rootfs.mjs) is booted with systemd as PID 1
 *    (systemd-nspawn -b, test/support/booted.ts), sshd on a loopback port.
 * 2. `arv-image provision` runs every script against it over SSH, as admin (Debian's cloud user),
 *    with the stand-in mirror (test/support/mirror) and the dispatcher's public key (a throwaway
 *    key pair of this test).
 * 3. Capture: the machine is powered off (cleanly; nothing may be left running or mounted), its
 *    root is copied as "the image", and the copy is booted fresh as a new node would be. (For
 *    Debian 12, tiers 1 and 2 go on with a copy of the image taken before that boot:
 *    image-tiers.ts.)
 * 4. The node is probed as arvados-dispatch-cloud probes it: SSH as the login user (crunch)
 *    with the dispatcher's private key, the boot probe `systemctl is-system-running` (must print
 *    "running"; a failure prints `systemctl --failed` and the failed units' journal), `sudo -n
 *    true`, the boot marker, crunch-run on the PATH, /tmp not tmpfs, a machine-id and SSH host
 *    keys of its own (not the build's), the --resolver in effect, Docker's service active
 *    (--runtime-engine docker).
 *
 * Every root lives in a mkdtemp workspace removed afterwards; each machine runs in its own PID
 * and mount namespace with a time limit, so a hung boot is killed with everything in it.
 * Needs root, unshare, systemd-nspawn (systemd-container), packer and (first run, about 80 s
 * per release) debootstrap plus the Debian mirror; skipped with a warning otherwise, a failure
 * under ARV_IMAGE_E2E_REQUIRE=1 (CI). ARV_IMAGE_E2E_BOOT_SUITES=bookworm (or trixie) runs one
 * (trixie alone leaves out tiers 1 and 2 too: they run on the bookworm image).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedMirror } from "../../scripts/e2e/apt-repo.mjs";
import { ensureRootfs, rootfsPath, type Suite } from "../../scripts/e2e/rootfs.mjs";
import { bootMachine, type BootedMachine, BootWorkspace, captureImage, prepareRoot, type SshLogin } from "../support/booted.js";
import { BIN, run } from "../support/cli.js";
import { NEWEST_RELEASE } from "../../dist/releases/versions.js";
import { mirrorArgs, startMirror } from "../support/mirror/server.mjs";

/** Each release provisioned as its operator would name it: Debian 13 also with the Arvados release pinned explicitly. */
export interface BootRelease {
  suite: Suite;
  name: string;
  flags: string[];
}
export const RELEASES: Record<"debian12" | "debian13", BootRelease> = {
  debian12: { suite: "bookworm", name: "Debian 12", flags: ["--base-os", "debian-12"] },
  debian13: { suite: "trixie", name: "Debian 13", flags: ["--base-os", "debian-13", "--arvados-version", NEWEST_RELEASE.latest] },
};
const only = process.env.ARV_IMAGE_E2E_BOOT_SUITES?.split(/[\s,]+/).filter(Boolean);

const have = (cmd: string, args = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const missing: string[] = [];
if (process.getuid?.() !== 0) missing.push("root");
if (!have("unshare", ["--mount", "--pid", "--fork", "true"])) missing.push("unshare --mount --pid");
if (!have("systemd-nspawn")) missing.push("systemd-nspawn (apt-get install -y systemd-container)");
if (!have("packer", ["version"])) missing.push("packer");
const needsDebootstrap = (r: BootRelease) => !existsSync(rootfsPath(r.suite)) && !have("debootstrap");

/** Whether this release's tier is left out: not asked for, or lacking a prerequisite (a failure under ARV_IMAGE_E2E_REQUIRE). */
function skipped(r: BootRelease): boolean {
  if (only && !only.includes(r.suite)) return true;
  const lacking = [...missing, ...(needsDebootstrap(r) ? ["debootstrap or a cached rootfs tarball"] : [])];
  if (lacking.length === 0) return false;
  const message = `e2e boot tier (${r.name}): needs ${lacking.join(", ")}`;
  if (process.env.ARV_IMAGE_E2E_REQUIRE) throw new Error(message);
  console.warn(`${message}; skipped`);
  return true;
}

/** What the dispatcher's cluster config would say. */
const LOGIN_USER = "crunch";
const ENGINE = "docker";
const RESOLVER = "10.9.8.7";
const BOOT_MARKER = "/arvados-compute-node-boot.complete";

function sshKeyPair(dir: string, name: string): { key: string; pub: string; pubFile: string } {
  const file = join(dir, name);
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `arv-image-e2e-${name}`, "-f", file]);
  if (r.status !== 0) throw new Error(`ssh-keygen: ${String(r.stderr)}`);
  return { key: file, pub: readFileSync(`${file}.pub`, "utf8").trim(), pubFile: `${file}.pub` };
}

/** What the boot tier provisioned with, for tiers that go on with its image (image-tiers.ts). */
export interface ProvisionedWith {
  /** The flags of its `arv-image provision`, without the SSH and --out ones. */
  flags: string[];
  resolver: string;
  /** The dispatcher's key pair (the public half is in the image). */
  dispatcher: SshLogin & { pub: string; pubFile: string };
}

/**
 * The tier for one release: call it at the top of a test file. `onImage` gets the captured
 * image before the node boots from it (a boot changes it: host keys, machine-id, the marker),
 * to copy what it needs; returns true when the tier is skipped.
 */
export function bootTier(release: BootRelease, opts: { onImage?: (image: string, provisioned: ProvisionedWith) => Promise<void> } = {}): boolean {
  const { suite, name, flags } = release;
  if (skipped(release)) {
    it.skip(`e2e boot tier: ${name} (${suite})`, () => {});
    return true;
  }
  let tmp: string;
  let builder: SshLogin & { pub: string };
  let dispatcher: SshLogin & { pub: string; pubFile: string };
  let mirror: { url: string; close(): Promise<void> };
  // prettier-ignore
  const provisionFlags = () => ["--arvados-cluster-id", "zzzzz", "--public-key-file", dispatcher.pubFile, "--login-user", LOGIN_USER,
    "--runtime-engine", ENGINE, "--resolver", RESOLVER, ...flags, ...mirrorArgs(mirror.url)];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "arv-image-e2e-boot-"));
    const b = sshKeyPair(tmp, "builder");
    builder = { user: "admin", key: b.key, pub: b.pub };
    const d = sshKeyPair(tmp, "dispatcher");
    dispatcher = { user: LOGIN_USER, key: d.key, pub: d.pub, pubFile: d.pubFile };
    mirror = await startMirror({ dir: (await cachedMirror()).dir });
  }, 120_000);
  afterAll(async () => {
    await mirror?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  describe(`e2e boot tier: ${name} (${suite}) provisioned, captured, booted as a node`, () => {
    let ws: BootWorkspace;
    let build: BootedMachine | undefined;
    let node: BootedMachine | undefined;
    const built: { machineId?: string; hostKeys?: string[] } = {};
    const label = `${name} (${suite})`;

    beforeAll(async () => {
      await ensureRootfs({ suite, onBuild: (p) => console.warn(`building the ${suite} e2e rootfs ${p} (about a minute and a half, once)...`) });
      ws = new BootWorkspace(`arv-image-boot-${suite}-`);
    }, 900_000);
    afterAll(async () => {
      await ws?.dispose();
    }, 120_000);

    const needBuild = () => {
      if (!build) throw new Error(`${label}: the build machine did not boot`);
      return build;
    };
    const needNode = () => {
      if (!node) throw new Error(`${label}: the node did not boot`);
      return node;
    };
    /** A probe command on the node, over SSH as the dispatcher logs in. */
    const probe = async (cmd: string) => {
      const r = await needNode().ssh(dispatcher, cmd, { timeoutMs: 60_000 });
      return { ...r, out: r.stdout.trim() };
    };

    it("boots the bare rootfs under systemd: SSH answers, the system settles as running", async () => {
      const root = await ws.unpack(rootfsPath(suite), "build");
      const port = await prepareRoot(root, { authorizedKeys: { admin: builder.pub }, allowServiceStarts: true });
      build = await bootMachine(ws, { root, port, login: builder, name: `${suite} build machine` });
      const state = await build.settled();
      expect(state, state === "running" ? "" : await build.failedReport()).toBe("running");
      expect((await build.ssh(builder, "sudo -n true && ps -o comm= -p 1")).stdout.trim()).toBe("systemd");
      // The build machine's identity, which the node must not share (provisioning with
      // --capture-hygiene removes it from the machine before it is captured).
      built.machineId = (await build.exec("cat /etc/machine-id")).stdout.trim();
      built.hostKeys = await build.hostKeys();
      expect(built.machineId).toMatch(/^[0-9a-f]{32}$/);
      expect(built.hostKeys.length).toBeGreaterThan(0);
    }, 300_000);

    it("arv-image provision runs every script on the booted machine", async () => {
      const m = needBuild();
      const out = join(mkdtempSync(join(tmp, `p-${suite}-`)), "b");
      // prettier-ignore
      const r = await run(process.execPath, [BIN, "provision",
      "--ssh-host", m.host, "--ssh-port", String(m.port), "--ssh-user", builder.user, "--ssh-private-key-file", builder.key,
      ...provisionFlags(), "--capture-hygiene", "--out", out]);
      expect(r.code, r.stderr.slice(-6000)).toBe(0);
      expect(r.stderr).toContain("the dispatcher-contract check passed");
    }, 1_800_000);

    it("powers off cleanly (nothing left running or mounted); the root is captured as the image and boots as a new node", async () => {
      const m = needBuild();
      build = undefined;
      await m.poweroff();
      const image = ws.path("image");
      await captureImage(m.opts.root, image);
      rmSync(m.opts.root, { recursive: true, force: true }); // the builder instance is terminated
      // What the image ships: no machine id, no host keys, no boot marker (each node makes its own).
      expect(readFileSync(join(image, "etc/machine-id"), "utf8")).toBe("");
      expect(readdirSync(join(image, "etc/ssh")).filter((f) => f.startsWith("ssh_host_"))).toEqual([]);
      expect(existsSync(join(image, "arvados-compute-node-boot.complete"))).toBe(false);
      await opts.onImage?.(image, { flags: provisionFlags(), resolver: RESOLVER, dispatcher });
      // The cloud's part only: the node's sshd port (this test's stand-in for port 22 of its own
      // address). The dispatcher's key is already in the image, as it must be.
      const port = await prepareRoot(image, {});
      // Its own network namespace, loopback only: what runs at boot (cloud-init, the scratch-disk
      // unit's metadata probes) reaches nothing beyond it; the probes' SSH client joins it.
      node = await bootMachine(ws, { root: image, port, login: dispatcher, name: `${suite} node`, privateNetwork: true });
      // The probes below do not wait; the dispatcher retries its boot probe until it passes.
      const state = await node.settled();
      if (process.env.ARV_IMAGE_E2E_VERBOSE) {
        const facts = await node.exec(
          "systemctl list-units --all --no-pager --plain 'arvados*' docker.service ssh.service cloud-init\\*; findmnt --target /tmp; ls -l /etc/ssh/ssh_host_*; journalctl -b --no-pager -u 'arvados*' -u cloud-init -u docker | tail -n 80",
        );
        console.warn(`${suite} node settled as ${state}:\n${facts.stdout}${facts.stderr}`);
      }
    }, 900_000);

    describe("probed as arvados-dispatch-cloud probes a new node", () => {
      it(`logs in as ${LOGIN_USER} with the dispatcher's key`, async () => {
        expect((await probe("id -un")).out).toBe(LOGIN_USER);
      });

      it("boot probe: systemctl is-system-running prints running", async () => {
        const r = await probe("systemctl is-system-running");
        expect(r.out, r.out === "running" ? "" : `${label} node is ${r.out}:\n${await needNode().failedReport()}`).toBe("running");
      });

      it("sudo -n true", async () => {
        const r = await probe("sudo -n true");
        expect(r.code, r.stderr).toBe(0);
      });

      it(`the boot marker ${BOOT_MARKER} exists`, async () => {
        const r = await probe(`test -e ${BOOT_MARKER}`);
        expect(r.code, `${BOOT_MARKER} is missing on the ${label} node`).toBe(0);
      });

      it("crunch-run is on the PATH", async () => {
        const r = await probe("command -v crunch-run");
        expect(r.code, `no crunch-run on the ${label} node's PATH`).toBe(0);
      });

      it(`crunch-run is Arvados ${NEWEST_RELEASE.latest} (the release asked for, or the default), held there at priority 995`, async () => {
        const installed = await probe("dpkg-query -W -f '${Version}' crunch-run");
        expect(installed.out).toMatch(new RegExp(`^${NEWEST_RELEASE.latest.replaceAll(".", "\\.")}-`));
        const policy = await probe("apt-cache policy crunch-run");
        expect(policy.out).toMatch(new RegExp(`\\*\\*\\* ${NEWEST_RELEASE.latest.replaceAll(".", "\\.")}-\\S+ 995`));
      });

      it("/tmp is not tmpfs", async () => {
        const r = await probe("findmnt -n -o FSTYPE --target /tmp");
        expect(r.out, `findmnt --target /tmp: ${(await probe("findmnt --target /tmp")).out}`).not.toBe("tmpfs");
        expect(r.out).not.toBe("");
      });

      it("has a machine-id of its own, not the build's", async () => {
        const r = await probe("cat /etc/machine-id");
        expect(r.out).toMatch(/^[0-9a-f]{32}$/);
        expect(r.out).not.toBe(built.machineId);
      });

      it("has SSH host keys of its own, not the build's", async () => {
        const keys = await needNode().hostKeys();
        expect(keys.length).toBeGreaterThan(0);
        const reused = keys.filter((k) => built.hostKeys?.includes(k)).map((k) => k.split(" ")[0]);
        expect(reused, "host keys the node shares with the build machine").toEqual([]);
      });

      it(`resolves names through the --resolver (${RESOLVER})`, async () => {
        // What the node's resolver library uses: systemd-resolved's servers when it runs, else the
        // first nameserver of /etc/resolv.conf.
        const r = await probe("if systemctl -q is-active systemd-resolved; then resolvectl dns; else sed -n 's/^nameserver[[:space:]]*//p' /etc/resolv.conf | head -n 1; fi");
        expect(r.out, `the ${label} node resolves through: ${r.out}`).toContain(RESOLVER);
      });

      it(`the engine's service is active (${ENGINE})`, async () => {
        const r = await probe("systemctl is-active docker.service");
        expect(
          r.out,
          r.out === "active" ? "" : (await needNode().exec("systemctl status docker.service --no-pager; journalctl -b -u docker.service --no-pager | tail -n 30")).stdout,
        ).toBe("active");
      });
    });

    it("the node powers off cleanly, nothing left running or mounted", async () => {
      const m = needNode();
      node = undefined;
      await expect(m.poweroff()).resolves.toBeUndefined();
    }, 300_000);
  });
  return false;
}
