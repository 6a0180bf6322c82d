/**
 * --arvados-version (the releases table → apt pins and versions), --base-os (the source image per
 * cloud, the builder's user and root device) and --amd-rocm-support, through the real syntax layer,
 * resolution and render, in-process (from dist/); `config` through the real CLI.
 */
import { describe, expect, it } from "vitest";
import { renderBuildDir } from "../../dist/render/build-dir.js";
import { buildUrls } from "../../dist/render/urls.js";
import { NEWEST_RELEASE, RELEASES, arvadosPinVersion, releaseOf } from "../../dist/releases/versions.js";
import { BASE_OSES, baseOsOfAmiName } from "../../dist/releases/base-os.js";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { resolved, unusedOut } from "../support/resolve.js";

const base = ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.11.2"];
const aws = ["--cloud", "aws", ...base];
const azure = ["--cloud", "azure", ...base, "--azure-resource-group", "rg"];
const gcp = ["--cloud", "gcp", ...base, "--gcp-project-id", "arvados-images"];

type Cfg = Awaited<ReturnType<typeof resolved>>;
const file = (c: Cfg, path: string) => {
  const f = renderBuildDir(c, c.cloud ?? "aws").files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} was not rendered`);
  return f.content;
};
/** The stanzas of an apt preferences file, each as { Package, Pin, Pin-Priority }. */
const stanzas = (pref: string) =>
  pref
    .trim()
    .split("\n\n")
    .map((s) =>
      Object.fromEntries(
        s
          .split("\n")
          .filter((l) => !l.startsWith("Explanation:"))
          .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
      ),
    );

describe("the releases table", () => {
  it("has the newest release first, with Arvados 3.2's pins", () => {
    expect(RELEASES[0]).toBe(NEWEST_RELEASE);
    expect(NEWEST_RELEASE.series).toBe("3.2");
    expect(NEWEST_RELEASE.pins).toMatchObject({ go: "1.25.6", singularity: "3.10.4", rocm: "6.3.2" });
    const byPackage = Object.fromEntries(NEWEST_RELEASE.pins.apt.map((p) => [p.packages, p.version]));
    expect(byPackage).toMatchObject({ "src:docker-ce": "5:28.*", cuda: "13.0.*", "src:libnvidia-container src:nvidia-container-toolkit": "1.17.*" });
    expect(byPackage["cuda-drivers nvidia-modprobe nvidia-open nvidia-persistenced nvidia-xconfig src:nvidia-graphics-drivers src:nvidia-kmod-open src:nvidia-settings"]).toBe(
      "580.*",
    );
  });

  it("finds a version's entry by its series, and writes the Arvados pin as Arvados' template does", () => {
    expect(releaseOf("3.2.0")?.series).toBe("3.2");
    expect(releaseOf("3.1.2-1")?.series).toBe("3.1");
    expect(releaseOf("3.3.0")).toBeUndefined();
    expect(releaseOf("13.2.1")).toBeUndefined();
    // roles/arvados_apt/templates/arvados.pref.j2: "-*" unless the version has a revision or ends in "*".
    expect(arvadosPinVersion("3.2.1")).toBe("3.2.1-*");
    expect(arvadosPinVersion("3.2.1-2")).toBe("3.2.1-2");
    expect(arvadosPinVersion("3.2.*")).toBe("3.2.*");
  });

  it("by default pins the Arvados packages to the newest release at priority 995, as Arvados does", async () => {
    const c = await resolved("config", aws);
    expect(c.options.arvadosVersion).toBe(NEWEST_RELEASE.latest);
    expect(c.sources.arvadosVersion).toBe("default");
    const [arvados, ...rest] = stanzas(file(c, "files/arvados.pref"));
    expect(arvados).toEqual({
      Package: "arvados-* crunch-* keep-* python3-arvados-* keepproxy keepstore libpam-arvados-go python3-crunchstat-summary",
      Pin: `version ${NEWEST_RELEASE.latest}-*`,
      "Pin-Priority": "995",
    });
    expect(rest.map((s) => [s.Package, s.Pin])).toEqual(NEWEST_RELEASE.pins.apt.map((p) => [p.packages, `version ${p.version}`]));
    expect(c.warnings).toEqual([]);
  });

  it("renders each release's own pins and versions into files/arvados.pref and the prelude", async () => {
    const c31 = await resolved("config", [...aws, "--arvados-version", "3.1.2"]);
    const pref = stanzas(file(c31, "files/arvados.pref"));
    expect(pref[0]?.Pin).toBe("version 3.1.2-*");
    expect(pref.find((s) => s.Package === "cuda")?.Pin).toBe("version 12.6.*");
    expect(pref.find((s) => s.Package?.startsWith("cuda-drivers"))?.Pin).toBe("version 560.*");
    const prelude = file(c31, "scripts/lib/prelude.sh");
    expect(prelude).toContain("readonly GO_VERSION='1.23.6'");
    expect(prelude).toContain("readonly SINGULARITY_VERSION='3.10.4'");
    expect(c31.release).toMatchObject({ series: "3.1", known: true, pinsSource: "release 3.1 table" });
    const c32 = await resolved("config", [...aws, "--arvados-version", "3.2.0"]);
    expect(stanzas(file(c32, "files/arvados.pref")).find((s) => s.Package === "cuda")?.Pin).toBe("version 13.0.*");
    expect(file(c32, "scripts/lib/prelude.sh")).toContain("readonly GO_VERSION='1.25.6'");
  });

  it("pins one package revision as given (X.Y.Z-N)", async () => {
    const c = await resolved("config", [...aws, "--arvados-version", "3.2.1-2"]);
    expect(stanzas(file(c, "files/arvados.pref"))[0]?.Pin).toBe("version 3.2.1-2");
    expect(c.release.series).toBe("3.2");
  });

  it("does not pin the Arvados packages on a -dev or -testing suite, but keeps the third-party pins", async () => {
    for (const args of [
      ["--reposuffix", "-testing"],
      ["--reposuffix", "-dev", "--pin-packages"],
    ]) {
      const c = await resolved("config", [...aws, ...args]);
      const pref = stanzas(file(c, "files/arvados.pref"));
      expect(pref.some((s) => s.Package?.includes("arvados"))).toBe(false);
      expect(pref.map((s) => s.Package)).toEqual(NEWEST_RELEASE.pins.apt.map((p) => p.packages));
      expect(c.release.arvadosPin).toBeUndefined();
    }
    // -dev without --pin-packages: no pin file at all (build.sh's rule).
    const dev = await resolved("config", [...aws, "--reposuffix", "-dev"]);
    expect(renderBuildDir(dev, "aws").files.some((f) => f.path === "files/arvados.pref")).toBe(false);
  });

  it("says that --arvados-version does not pin a -dev suite", async () => {
    const c = await resolved("config", [...aws, "--reposuffix", "-dev", "--arvados-version", "3.2.1"]);
    expect(c.warnings.join("\n")).toMatch(/--arvados-version 3\.2\.1 does not pin the Arvados packages with --reposuffix -dev/);
  });

  it("accepts an unknown release with a warning and the newest release's pins", async () => {
    const c = await resolved("config", [...aws, "--arvados-version", "3.3.0"]);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/--arvados-version 3\.3\.0: arv-image does not know release 3\.3; the newest known release's third-party pins \(3\.2\) are used/);
    expect(c.release).toMatchObject({ known: false, series: "3.2", pinsSource: "newest known (3.2), release 3.3.0 unknown", arvadosPin: "3.3.0-*" });
    expect(c.release.pins).toEqual(NEWEST_RELEASE.pins);
    const pref = stanzas(file(c, "files/arvados.pref"));
    expect(pref[0]?.Pin).toBe("version 3.3.0-*");
    expect(pref.slice(1).map((s) => s.Pin)).toEqual(NEWEST_RELEASE.pins.apt.map((p) => `version ${p.version}`));
  });

  it("config shows every pin and where it came from (real CLI)", async () => {
    const r = await runCli(["config", ...aws, "--arvados-version", "3.3.0", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      values: Record<string, { value: unknown; source: string }>;
      release: { pins: { name: string; value: string; source: string }[] };
      warnings: string[];
    };
    expect(doc.values["arvados-version"]).toEqual({ value: "3.3.0", source: "flag" });
    expect(doc.values["base-os"]).toEqual({ value: "debian-12", source: "default" });
    const pins = doc.release.pins;
    expect(pins[0]).toMatchObject({ name: "arvados packages", value: "3.3.0-*" });
    expect(pins.find((p) => p.name === "src:docker-ce")).toMatchObject({ value: "5:28.*", source: "newest known (3.2), release 3.3.0 unknown" });
    for (const name of ["go (builds Singularity)", "singularity-ce", "rocm", "cuda", "src:libnvidia-container src:nvidia-container-toolkit", "cuda-drivers (+7 packages)"]) {
      expect(pins.find((p) => p.name === name)?.source, name).toBe("newest known (3.2), release 3.3.0 unknown");
    }
    const text = await runCli(["config", ...aws]);
    expect(text.stdout).toMatch(/^arvados-version +3\.2\.1 +\(default\)$/m);
    expect(text.stdout).toMatch(/^pin src:docker-ce +5:28\.\* +\(release 3\.2 table\)$/m);
    expect(text.stdout).toMatch(/^pin arvados packages +3\.2\.1-\* +\(arvados-version 3\.2\.1 \(default\)\)$/m);
    expect(text.stderr).toBe("");
  });
});

describe("--base-os", () => {
  it("tells an official AMI's release from its name", () => {
    expect(baseOsOfAmiName("debian-13-amd64-20261115-1600")?.name).toBe("debian-13");
    expect(baseOsOfAmiName("debian-12-amd64-20261101-1900")?.name).toBe("debian-12");
    expect(baseOsOfAmiName("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20261130")?.name).toBe("ubuntu-22.04");
    expect(baseOsOfAmiName("ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-20261130")?.name).toBe("ubuntu-22.04");
    expect(baseOsOfAmiName("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261125")?.name).toBe("ubuntu-24.04");
    for (const other of [
      "debian-12-arm64-20261120-1000",
      "debian-12-backports-amd64-20261120-1000",
      "my-debian-13-amd64-copy",
      "ubuntu-minimal/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-minimal-20261129",
      "",
    ]) {
      expect(baseOsOfAmiName(other), other).toBeUndefined();
    }
    expect(
      Object.values(BASE_OSES)
        .filter((b) => !b.rocm)
        .map((b) => b.name),
    ).toEqual(["debian-13"]);
  });

  it("AWS: the official AMI filter of the release, its login user and root device", async () => {
    const ubuntu = await resolved("render", [...aws, "--base-os", "ubuntu-24.04", "--out", unusedOut()]);
    expect(ubuntu.options.sshUser).toBe("ubuntu");
    expect(ubuntu.sources.sshUser).toBe("inferred");
    const hcl = file(ubuntu, "aws.pkr.hcl");
    expect(hcl).toContain('owners      = ["099720109477"]');
    expect(hcl).toContain('name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"');
    expect(file(ubuntu, "arv-image.auto.pkrvars.hcl")).toMatch(/^aws_root_device += "\/dev\/sda1"$/m);
    const jammy = await resolved("render", [...aws, "--base-os", "ubuntu-22.04", "--out", unusedOut()]);
    expect(file(jammy, "aws.pkr.hcl")).toContain('"ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*"');
    const trixie = await resolved("render", [...aws, "--base-os", "debian-13", "--out", unusedOut()]);
    expect(trixie.options.sshUser).toBe("admin");
    expect(file(trixie, "aws.pkr.hcl")).toContain('owners      = ["136693071363"]');
    expect(file(trixie, "aws.pkr.hcl")).toContain('name                = "debian-13-amd64-*"');
    expect(file(trixie, "arv-image.auto.pkrvars.hcl")).toMatch(/^aws_root_device += "\/dev\/xvda"$/m);
    // A given AMI: no filter; a given user and root device stay.
    const given = await resolved("render", [
      ...aws,
      "--base-os",
      "ubuntu-24.04",
      "--aws-source-ami",
      "ami-0123456789abcdef0",
      "--ssh-user",
      "admin",
      "--aws-root-device",
      "/dev/xvda",
      "--out",
      unusedOut(),
    ]);
    expect(file(given, "aws.pkr.hcl")).not.toContain("source_ami_filter");
    expect(file(given, "arv-image.auto.pkrvars.hcl")).toMatch(/^ssh_username += "admin"$/m);
    expect(file(given, "arv-image.auto.pkrvars.hcl")).toMatch(/^aws_root_device += "\/dev\/xvda"$/m);
  });

  it("Azure: publisher, offer and SKU of the release, so --azure-sku is optional", async () => {
    const expected = {
      "debian-12": ["Debian", "debian-12", "12-gen2"],
      "debian-13": ["Debian", "debian-13", "13-gen2"],
      "ubuntu-22.04": ["Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"],
      "ubuntu-24.04": ["Canonical", "ubuntu-24_04-lts", "server"],
    };
    for (const [os, [publisher, offer, sku]] of Object.entries(expected)) {
      const c = await resolved("config", [...azure, "--base-os", os]);
      expect([c.options.azureImagePublisher, c.options.azureImageOffer, c.options.azureSku], os).toEqual([publisher, offer, sku]);
      expect(c.sources.azureSku).toBe("inferred");
      expect(c.options.sshUser).toBe("packer");
      const vars = file(c, "arv-image.auto.pkrvars.hcl");
      expect(vars).toMatch(new RegExp(`^image_offer += "${offer}"$`, "m"));
      expect(vars).toMatch(new RegExp(`^image_sku += "${sku}"$`, "m"));
    }
  });

  it("GCP: the release's image family and project", async () => {
    const c = await resolved("config", [...gcp, "--base-os", "ubuntu-24.04"]);
    expect([c.options.gcpSourceImageFamily, c.options.gcpSourceImageProject]).toEqual(["ubuntu-2404-lts-amd64", "ubuntu-os-cloud"]);
    const d = await resolved("config", [...gcp, "--base-os", "debian-13"]);
    expect(file(d, "arv-image.auto.pkrvars.hcl")).toMatch(/^source_image_family += "debian-13"$/m);
    expect(file(d, "arv-image.auto.pkrvars.hcl")).toMatch(/^source_image_project += "debian-cloud"$/m);
  });

  it("warns when a given source image contradicts a given --base-os, not when --base-os is the default", async () => {
    const az = await resolved("config", [
      ...azure,
      "--base-os",
      "debian-13",
      "--azure-image-publisher",
      "Canonical",
      "--azure-image-offer",
      "ubuntu-24_04-lts",
      "--azure-sku",
      "server",
    ]);
    expect(az.warnings.join("\n")).toMatch(
      /--base-os debian-13 is Debian:debian-13:13-gen2 on Azure, but --azure-image-publisher, --azure-image-offer, --azure-sku make the source image Canonical:ubuntu-24_04-lts:server/,
    );
    expect(az.options.azureSku).toBe("server");
    const same = await resolved("config", [...azure, "--base-os", "debian-13", "--azure-sku", "13-gen2"]);
    expect(same.warnings).toEqual([]);
    const dflt = await resolved("config", [...azure, "--azure-sku", "12"]);
    expect(dflt.warnings).toEqual([]);
    const g = await resolved("config", [...gcp, "--base-os", "ubuntu-22.04", "--gcp-source-image-family", "debian-12"]);
    expect(g.warnings.join("\n")).toMatch(
      /--base-os ubuntu-22\.04 is image family ubuntu-2204-lts of project ubuntu-os-cloud on GCP, but --gcp-source-image-family chooses family debian-12/,
    );
  });

  it("urls follow the distribution: Docker and CUDA repositories of Ubuntu 24.04, and ROCm's", async () => {
    const c = await resolved("urls", [...aws, "--base-os", "ubuntu-24.04", "--nvidia-gpu-support", "--amd-rocm-support"]);
    const urls = buildUrls(c, "aws").map((u) => u.url);
    expect(urls).toContain("https://download.docker.com/linux/ubuntu");
    expect(urls).toContain("https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/");
    expect(urls).toContain("https://repo.radeon.com/rocm/rocm.gpg.key");
    expect(urls).toContain("https://repo.radeon.com/rocm/apt/6.3.2");
    expect(urls).toContain("https://repo.radeon.com/amdgpu/6.3.2/ubuntu");
  });
});

describe("--amd-rocm-support", () => {
  it("adds 35-rocm.sh after the reboot into the upgraded kernel, the ROCm values and AMD's repository preference", async () => {
    const c = await resolved("render", [...aws, "--base-os", "ubuntu-24.04", "--amd-rocm-support", "--out", unusedOut()]);
    const r = renderBuildDir(c, "aws");
    expect(r.files.map((f) => f.path)).toContain("scripts/35-rocm.sh");
    const hcl = file(c, "aws.pkr.hcl");
    expect(hcl.indexOf("expect_disconnect")).toBeGreaterThan(0);
    expect(hcl.indexOf("expect_disconnect")).toBeLessThan(hcl.indexOf('"35-rocm.sh"'));
    const prelude = file(c, "scripts/lib/prelude.sh");
    expect(prelude).toContain("readonly ROCM_VERSION='6.3.2'");
    expect(prelude).toContain("readonly ROCM_REPO_URL='https://repo.radeon.com'");
    expect(stanzas(file(c, "files/rocm.pref"))).toEqual([
      { Package: "hipcc rocm rocminfo rocm-*", Pin: 'origin "repo.radeon.com"', "Pin-Priority": "550" },
      { Package: "*", Pin: 'origin "repo.radeon.com"', "Pin-Priority": "100" },
    ]);
  });

  it("takes --mirror rocm-repo and rocm-key, and prefers the mirror's origin", async () => {
    const c = await resolved("render", [
      ...aws,
      "--amd-rocm-support",
      "--mirror",
      "rocm-repo=https://mirror.example.com/amd",
      "--mirror",
      "rocm-key=https://mirror.example.com/amd/rocm.asc",
      "--out",
      unusedOut(),
    ]);
    const prelude = file(c, "scripts/lib/prelude.sh");
    expect(prelude).toContain("readonly ROCM_REPO_URL='https://mirror.example.com/amd'");
    expect(prelude).toContain("readonly ROCM_KEY_URL='https://mirror.example.com/amd/rocm.asc'");
    expect(file(c, "files/rocm.pref")).toContain('Pin: origin "mirror.example.com"');
  });

  it("is refused on Debian 13, naming both flags", async () => {
    await expect(resolved("config", [...aws, "--base-os", "debian-13", "--amd-rocm-support"])).rejects.toThrow(/--amd-rocm-support cannot be built on --base-os "debian-13"/);
  });
});
