/**
 * End-to-end tiers 1 and 2, with real Packer 1.6.6 and arv-image's real scripts, on the Debian 12
 * image the boot tier made (boot-debian12.test.ts: its machine provisioned under systemd, powered
 * off, its root captured). A chroot target (test/support/target.ts) is started from a copy of
 * that image before the node boots from it, so the image is checked as it was captured:
 *
 * Tier 1: the dispatcher contract, checked from outside on the image; then `arv-image provision`
 *   runs again on it with the same flags (idempotence: nothing it wrote changes, nothing is
 *   added twice; the resolver goes first into a resolv.conf that lacked it).
 * Tier 2: `arv-image build --cloud aws` against the loopback EC2 Query-API server
 *   (test/support/ec2), the same machine standing in for the builder instance: Packer
 *   creates the key pair, security group and instance, provisions over SSH, creates the AMI
 *   and cleans up, all through the server, whose request log is checked. Failures: a refused
 *   CreateImage, and Ctrl-C during provisioning.
 *
 * (Until 2026-12 tier 1 provisioned a fresh rootfs of its own: the same Debian 12 provisioning
 * the boot tier does, a third of the suite's CPU spent twice. The first provisioning of a chroot
 * without systemd is still proven by the Azure tier.)
 *
 * The target reaches the Debian mirror, so this runs in the host's network namespace; Packer
 * talks to EC2 only through custom_endpoint_ec2 (from AWS_ENDPOINT_URL_EC2) with static test
 * credentials (no STS, no IMDS), and the request log shows every call arrived on loopback.
 */
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, interruptReports, run } from "../support/cli.js";
import { startEc2Server, type Ec2Server } from "../support/ec2/server.mjs";
import { startTarget, type Target } from "../support/target.js";
import type { ProvisionedWith } from "./boot-tier.js";

let tmp: string;
let key: string;
let publicKey: string;
let target: Target | undefined;
let provisioned: ProvisionedWith | undefined;
/** Why the machine could not be made from the image, if it could not (reported by these tiers, not the boot tier's). */
let startFailure: unknown;

function sshKeyPair(dir: string): { private: string; public: string } {
  const file = join(dir, "id_ed25519");
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "arv-image-e2e", "-f", file]);
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr.toString()}`);
  return { private: file, public: readFileSync(`${file}.pub`, "utf8").trim() };
}

const machine = () => {
  if (startFailure !== undefined)
    throw new Error(`no machine: it could not be started from the image: ${startFailure instanceof Error ? startFailure.message : JSON.stringify(startFailure)}`);
  if (!target || !provisioned) throw new Error("no machine: the boot tier made no image");
  return { target, provisioned };
};
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => run(process.execPath, [BIN, ...args], { env });
const inTarget = async (cmd: string) => {
  const r = await machine().target.run(cmd);
  return { ...r, out: r.stdout.trim() };
};

/**
 * For the boot tier's onImage: a machine made from a copy of the image, before the node boots
 * from it. A failure here is these tiers' (machine() reports it), not the boot tier's.
 */
export async function startFromImage(image: string, p: ProvisionedWith): Promise<void> {
  try {
    tmp = mkdtempSync(join(tmpdir(), "arv-image-e2e-"));
    const pair = sshKeyPair(tmp);
    key = pair.private;
    publicKey = pair.public;
    provisioned = p;
    // Copying a whole provisioned image into the tmpfs takes longer than unpacking a minbase
    // tarball, the more so on a loaded machine: the limit only guards a hang.
    target = await startTarget({ authorizedKey: publicKey, source: image, startTimeoutMs: 300_000 });
  } catch (e) {
    startFailure = e;
  }
}

/**
 * Tiers 1 and 2 on the image: call after bootTier(), which runs first. `bootSkipped`: the boot
 * tier was left out (not asked for, or a prerequisite missing; under ARV_IMAGE_E2E_REQUIRE the
 * latter failed already), and so are these, said so, not silently.
 */
export function imageTiers(bootSkipped: boolean): void {
  if (bootSkipped) {
    console.warn("e2e tiers 1 and 2 run on the Debian 12 boot tier's image: skipped with it");
    it.skip("e2e tiers 1 and 2 (on the Debian 12 boot tier's image)", () => {});
    return;
  }
  afterAll(async () => {
    await target?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  describe("e2e tier 1: the Debian 12 image, checked and provisioned again", () => {
    const provision = () =>
      cli([
        "provision",
        "--ssh-host",
        machine().target.host,
        "--ssh-port",
        String(machine().target.port),
        "--ssh-user",
        "admin",
        "--ssh-private-key-file",
        key,
        ...machine().provisioned.flags,
        "--out",
        mkdtempSync(join(tmp, "p-")) + "/b",
      ]);

    it("the image holds the dispatcher contract", async () => {
      const { resolver, dispatcher } = machine().provisioned;
      // The login user, with passwordless sudo that visudo accepts.
      expect((await inTarget("id -u crunch && getent passwd crunch | cut -d: -f7")).out).toMatch(/^\d+\n\/bin\/bash$/);
      expect((await inTarget("visudo -c")).code).toBe(0);
      expect((await inTarget("sudo -l -U crunch")).out).toMatch(/NOPASSWD: ALL/);
      // The dispatcher's key, with the modes sshd insists on.
      expect((await inTarget("cat /home/crunch/.ssh/authorized_keys")).out).toContain(dispatcher.pub);
      expect((await inTarget("stat -c '%a %U' /home/crunch/.ssh /home/crunch/.ssh/authorized_keys")).out).toBe("700 crunch\n600 crunch");
      // FUSE for arv-mount.
      expect((await inTarget("grep -x user_allow_other /etc/fuse.conf")).code).toBe(0);
      // Packages, from the Debian mirror and from the (stand-in) Arvados and Docker repositories.
      expect((await inTarget("dpkg-query -W -f '${Status}\\n' python3-arvados-fuse crunch-run docker-ce fuse3 | sort -u")).out).toBe("install ok installed");
      // crunch-run on the PATH (for sites that set DeployRunnerBinary to "").
      expect((await inTarget("crunch-run --version")).out).toMatch(/^crunch-run 3\.2\.1 /);
      // The Arvados packages are pinned to the release (--arvados-version, default the newest
      // known: 3.2.1) at priority 995, as Arvados pins them; the pin holds for the mirror's host
      // too. (The image is left without package lists: fetch them again first.)
      expect((await inTarget("apt-get update -qq >/dev/null 2>&1; apt-cache policy python3-arvados-fuse; rm -rf /var/lib/apt/lists/*")).out).toMatch(/^ \*\*\* 3\.2\.1-1 995$/m);
      // Docker's daemon.json: valid JSON, dns as a list.
      const daemon = JSON.parse((await inTarget("cat /etc/docker/daemon.json")).out) as { dns?: unknown; "data-root"?: unknown; "default-ulimits"?: unknown };
      expect(daemon.dns).toEqual([resolver]);
      expect(daemon["data-root"]).toBe("/tmp/docker-data");
      expect(daemon["default-ulimits"]).toEqual({ nofile: { Name: "nofile", Soft: 10000, Hard: 10000 } });
      // /tmp stays on disk at boot: systemd's tmp.mount (tmpfs, Debian 13) masked.
      expect((await inTarget("systemctl is-enabled tmp.mount || true")).out).toBe("masked");
      // The boot marker: a unit after the scratch unit, enabled; removed at boot and not in the image.
      expect((await inTarget("systemctl is-enabled arvados-boot-complete.service")).out).toBe("enabled");
      expect((await inTarget("cat /etc/systemd/system/arvados-boot-complete.service")).out).toMatch(/^Requires=arvados-ensure-encrypted-partitions\.service$/m);
      expect((await inTarget("cat /etc/tmpfiles.d/arvados-boot-complete.conf")).out).toContain("r /arvados-compute-node-boot.complete");
      expect((await inTarget("test -e /arvados-compute-node-boot.complete")).code).not.toBe(0);
      // Socket-activated sshd waits for the scratch unit too.
      expect((await inTarget("cat /etc/systemd/system/ssh.socket.d/arvados-scratch.conf")).out).toMatch(/^After=sysinit\.target arvados-ensure-encrypted-partitions\.service$/m);
      // (Debian's ssh.socket says Before=sockets.target, a cycle with that ordering: overridden without it.)
      expect((await inTarget("grep -c '^Before=.*sockets.target' /etc/systemd/system/ssh.socket || true")).out).toBe("0");
      expect((await inTarget("grep -x 'ListenStream=22' /etc/systemd/system/ssh.socket")).code).toBe(0);
      // The resolver for the host: the dhclient and systemd-resolved configurations where those
      // are installed (resolv.conf: see the next test; the node's resolver is probed in the boot tier).
      expect((await inTarget("if [ -f /etc/dhcp/dhclient.conf ]; then grep -cx 'prepend domain-name-servers 10.9.8.7;' /etc/dhcp/dhclient.conf; else echo 1; fi")).out).toBe("1");
      expect(
        (
          await inTarget(
            "if [ -e /usr/lib/systemd/system/systemd-resolved.service ] || [ -e /lib/systemd/system/systemd-resolved.service ]; then grep -x 'DNS=10.9.8.7' /etc/systemd/resolved.conf.d/arvados-resolver.conf; else echo DNS=10.9.8.7; fi",
          )
        ).out,
      ).toBe(`DNS=${resolver}`);
      // The encrypted-scratch unit, installed and enabled.
      expect((await inTarget("systemctl is-enabled arvados-ensure-encrypted-partitions.service")).out).toBe("enabled");
      // No NVIDIA repositories on a non-GPU image.
      expect((await inTarget("grep -rlis -e nvidia -e cuda /etc/apt/sources.list.d/ || true")).out).toBe("");
      // Hygiene: nothing staged left, no downloaded packages.
      expect((await inTarget("ls -A /tmp/arv-image 2>/dev/null; ls /var/cache/apt/archives/*.deb 2>/dev/null || true")).out).toBe("");
    }, 900_000);

    it("runs again on the image with the same flags (idempotence); the resolver goes first into resolv.conf", async () => {
      const files =
        "/etc/sudoers.d/* /etc/docker/daemon.json /etc/fuse.conf /home/crunch/.ssh/authorized_keys /etc/apt/sources.list.d/* /etc/systemd/system/arvados-boot-complete.service /etc/systemd/system/ssh.socket.d/*";
      const before = (await inTarget(`md5sum ${files}`)).out;
      // The machine's resolv.conf is the host's (target-init.sh): the provisioning adds the resolver to it.
      expect((await inTarget("grep -c '^nameserver 10.9.8.7$' /etc/resolv.conf || true")).out).toBe("0");
      const r = await provision();
      expect(r.code, r.stderr.slice(-4000)).toBe(0);
      expect(r.stdout.trim()).toBe(`admin@127.0.0.1:${machine().target.port}`);
      expect(r.stderr).toContain("the dispatcher-contract check passed");
      expect((await inTarget(`md5sum ${files}`)).out).toBe(before);
      expect((await inTarget("grep -cx user_allow_other /etc/fuse.conf")).out).toBe("1");
      // A plain /etc/resolv.conf (a chroot's) names the resolver first, once.
      expect((await inTarget("awk '$1 == \"nameserver\" { print $2; exit }' /etc/resolv.conf")).out).toBe(machine().provisioned.resolver);
      expect((await inTarget("grep -c '^nameserver 10.9.8.7$' /etc/resolv.conf")).out).toBe("1");
    }, 900_000);
  });

  describe("e2e tier 2: arv-image build --cloud aws against loopback EC2, the image's machine as the builder", () => {
    let ec2: Ec2Server;
    let secrets: string;
    let builderKey: string;
    const letPackerIn = async () => {
      const r = await machine().target.run(
        `install -d -m 700 -o admin -g admin ~admin/.ssh && printf '%s\\n' '${builderKey}' >> ~admin/.ssh/authorized_keys && chown admin: ~admin/.ssh/authorized_keys && chmod 600 ~admin/.ssh/authorized_keys`,
      );
      if (r.code !== 0) throw new Error(r.stderr);
    };
    const AK = "AKIAE2ETIER2000000000";
    const SK = "tier2-canary-secret-d41d8c";

    beforeAll(async () => {
      machine(); // no image, no tier: say why first
      // Packer logs in with the key pair CreateKeyPair hands out: its public half goes into the target.
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const pem = pair.privateKey.export({ type: "pkcs1", format: "pem" }) as string;
      const pemFile = join(tmp, "keymaterial.pem");
      writeFileSync(pemFile, pem, { mode: 0o600 });
      builderKey = spawnSync("ssh-keygen", ["-y", "-f", pemFile], { encoding: "utf8" }).stdout.trim();
      await letPackerIn();
      ec2 = await startEc2Server({
        keyMaterial: pem,
        credentials: { accessKeyId: AK, secretAccessKey: SK },
        state: {
          regions: ["us-east-1", "us-west-2"],
          images: [{ imageId: "ami-0d0000000000000a2", name: "debian-12-amd64-20261101-1900", ownerId: "136693071363", creationDate: "2026-11-01T19:00:00.000Z" }],
        },
      });
      secrets = join(tmp, "aws-secrets.sh");
      writeFileSync(secrets, `export AWS_ACCESS_KEY_ID=${AK}\nexport AWS_SECRET_ACCESS_KEY=${SK}\n`);
    }, 300_000);
    afterAll(async () => {
      await ec2?.close();
    });

    const env = () => ({
      ...process.env,
      AWS_ENDPOINT_URL_EC2: ec2.url,
      PKR_VAR_ssh_host: "127.0.0.1",
      PKR_VAR_ssh_port: String(machine().target.port),
      PKR_VAR_ssh_timeout: "30s",
    });
    const args = (out: string) => ["build", "--cloud", "aws", ...machine().provisioned.flags, "--aws-secrets-file", secrets, "--out", out, "--json"];
    // The image's hygiene removes the host keys and the login key (a cloud builder is never
    // logged into again); give the next build on this same machine a way back in.
    const reopen = async () => {
      const r = await machine().target.run("ssh-keygen -A >/dev/null");
      if (r.code !== 0) throw new Error(r.stderr);
      await letPackerIn();
    };
    const calls = (from = 0) => ec2.requests.slice(from).map((q) => q.action);

    it("bakes, copies to a second region: the AMI ids the server created are printed, in --json and in the Arvados snippet", async () => {
      const out = join(mkdtempSync(join(tmp, "b-")), "b");
      const r = await cli([...args(out), "--aws-ami-regions", "us-west-2"], env());
      expect(r.code, r.stderr.slice(-4000)).toBe(0);
      // A third run of the scripts on this machine: the resolver is still named once.
      expect((await inTarget("grep -c '^nameserver 10.9.8.7$' /etc/resolv.conf")).out).toBe("1");
      const created = ec2.state.images.filter((i) => i.name.startsWith("arvados-zzzzz-compute-"));
      expect(created.map((i) => i.region).sort()).toEqual(["us-east-1", "us-west-2"]);
      const ami = created.find((i) => i.region === "us-east-1")?.imageId as string;
      const copy = created.find((i) => i.region === "us-west-2")?.imageId as string;
      const doc = JSON.parse(r.stdout) as { ok: boolean; imageId: string; images: { region: string; id: string }[]; arvadosConfig: string; preflight: { errors: number } };
      expect(doc).toMatchObject({ ok: true, imageId: ami });
      expect(doc.images).toEqual([expect.objectContaining({ region: "us-east-1", id: ami }), expect.objectContaining({ region: "us-west-2", id: copy })]);
      expect(doc.arvadosConfig).toContain(`ImageID: "${ami}"`);
      expect(doc.arvadosConfig).toContain(`us-west-2: ${copy}`);
      expect(doc.preflight.errors).toBe(0);
      // The product is kept out of arv-image gc: its expiry tag is gone, its build id stays.
      const tagKeys = (tags: { key: string }[] | undefined) => (tags ?? []).map((t) => t.key);
      for (const image of created) {
        expect(tagKeys(image.tags)).toContain("arv-image-build-id");
        expect(tagKeys(image.tags)).not.toContain("arv-image-expires");
      }
      const runTags = Object.entries(ec2.requests.find((q) => q.action === "RunInstances")?.params ?? {})
        .filter(([k]) => /Tag\.\d+\.Key$/.test(k))
        .map(([, v]) => v);
      expect(runTags).toEqual(expect.arrayContaining(["arv-image-build-id", "arv-image-expires"]));
      // What the rendered template made Packer send.
      const runInstances = ec2.requests.find((q) => q.action === "RunInstances")?.params ?? {};
      expect(runInstances).toMatchObject({
        ImageId: "ami-0d0000000000000a2",
        InstanceType: "m5.large",
        InstanceInitiatedShutdownBehavior: "terminate",
        "BlockDeviceMapping.1.DeviceName": "/dev/xvda",
        "BlockDeviceMapping.1.Ebs.VolumeType": "gp3",
        "BlockDeviceMapping.1.Ebs.Iops": "3000",
        "BlockDeviceMapping.1.Ebs.Throughput": "125",
        "BlockDeviceMapping.1.Ebs.VolumeSize": "20",
      });
      expect(Object.entries(runInstances).some(([k, v]) => /^TagSpecification\.\d+\.Tag\.\d+\.Key$/.test(k) && v === "arv-image-build-id")).toBe(true);
      // IMDSv2 settings only where the detected Packer supports them: Debian's 1.6.6 does not
      // (arv-image says so on stderr), so RunInstances carries no MetadataOptions.
      expect(Object.keys(runInstances).filter((k) => k.startsWith("MetadataOptions"))).toEqual([]);
      expect(r.stderr).toContain("left out for Packer 1.6.6: IMDSv2 on the builder");
      const createImage = ec2.requests.find((q) => q.action === "CreateImage")?.params ?? {};
      expect(createImage.Name).toMatch(/^arvados-zzzzz-compute-\d{14}$/);
      // Cleanup went through the server too.
      expect(calls()).toEqual(expect.arrayContaining(["TerminateInstances", "DeleteSecurityGroup", "DeleteKeyPair"]));
      expect(ec2.state.instances.every((i) => i.state === "terminated")).toBe(true);
      expect(JSON.stringify(ec2.requests) + r.stdout + r.stderr).not.toContain(SK);
    }, 900_000);

    it("a refused CreateImage fails with Packer's reason, and the instance, group and key pair are cleaned up", async () => {
      await reopen();
      const from = ec2.requests.length;
      ec2.state.faults = { CreateImage: { code: "UnauthorizedOperation", status: 403, message: "You are not authorized to perform CreateImage (e2e)" } };
      try {
        const r = await cli(args(join(mkdtempSync(join(tmp, "f-")), "b")), env());
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("UnauthorizedOperation");
        const after = calls(from);
        expect(after).toEqual(expect.arrayContaining(["CreateImage", "TerminateInstances", "DeleteSecurityGroup", "DeleteKeyPair"]));
        expect(after.indexOf("TerminateInstances")).toBeGreaterThan(after.indexOf("CreateImage"));
      } finally {
        ec2.state.faults = {};
      }
    }, 900_000);

    it("Ctrl-C during provisioning: Packer cleans up through the server, arv-image exits 130", async () => {
      await reopen();
      const from = ec2.requests.length;
      const child = spawn(process.execPath, [BIN, ...args(join(mkdtempSync(join(tmp, "i-")), "b"))], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("Provisioning with shell script") && !child.killed) child.kill("SIGINT");
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      expect(code, stderr.slice(-3000)).toBe(130);
      expect(stderr).toContain("Packer is cleaning up");
      expect(interruptReports(stderr), stderr.slice(-3000)).toEqual(["interrupted (SIGINT)"]);
      expect(calls(from)).toEqual(expect.arrayContaining(["RunInstances", "TerminateInstances", "DeleteSecurityGroup", "DeleteKeyPair"]));
      expect(calls(from)).not.toContain("CreateImage");
    }, 900_000);
  });
}
