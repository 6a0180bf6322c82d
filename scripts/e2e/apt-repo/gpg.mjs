// @ts-check
/**
 * Throwaway OpenPGP keys (ed25519, no passphrase) in a temporary GNUPGHOME, and apt-style
 * signatures with them: InRelease (clear-signed) and Release.gpg (detached, armoured).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./util.mjs";

export class Keyring {
  /** @param {string} home */
  constructor(home) {
    this.home = home;
  }

  /** A fresh GNUPGHOME under the system temp directory (short: gpg-agent's socket lives there). */
  static async create() {
    return new Keyring(await mkdtemp(join(tmpdir(), "arv-e2e-gpg-")));
  }

  /** @param {string[]} args @param {string | Buffer} [input] */
  gpg(args, input) {
    return run("gpg", ["--homedir", this.home, "--batch", "--no-tty", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", ...args], {
      input,
      env: { ...process.env, LC_ALL: "C", GNUPGHOME: this.home },
    });
  }

  /**
   * Generates a signing key; returns its fingerprint and public key (armoured and binary).
   * @param {string} uid
   */
  async generate(uid) {
    await this.gpg(["--quick-generate-key", uid, "ed25519", "sign", "never"]);
    const colons = (await this.gpg(["--with-colons", "--fingerprint", "--list-keys", `=${uid}`])).stdout.toString();
    const fpr = colons
      .split("\n")
      .find((l) => l.startsWith("fpr:"))
      ?.split(":")[9];
    if (!fpr) throw new Error(`gpg: no fingerprint for the new key ${uid}`);
    const armored = (await this.gpg(["--armor", "--export", fpr])).stdout.toString();
    const binary = (await this.gpg(["--export", fpr])).stdout;
    return { uid, fpr, armored, binary };
  }

  /**
   * InRelease and Release.gpg for a Release file's text.
   * @param {string} fpr
   * @param {string} release
   */
  async signRelease(fpr, release) {
    const common = ["--local-user", `${fpr}!`, "--digest-algo", "SHA512"];
    const inRelease = (await this.gpg([...common, "--clearsign", "--output", "-"], release)).stdout.toString();
    const releaseGpg = (await this.gpg([...common, "--armor", "--detach-sign", "--output", "-"], release)).stdout.toString();
    return { inRelease, releaseGpg };
  }

  /** Stops the agent gpg started and removes the directory. */
  async destroy() {
    await run("gpgconf", ["--homedir", this.home, "--kill", "all"], { env: { ...process.env, GNUPGHOME: this.home } }).catch(() => {});
    await rm(this.home, { recursive: true, force: true });
  }
}
