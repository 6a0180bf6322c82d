/**
 * The distributions arv-image builds on (--base-os), and where each cloud publishes its
 * official images. Data only; imports nothing.
 *
 * Where the names come from: Debian's AWS account 136693071363 and its AMI names
 * debian-<N>-amd64-<date>-<build> (wiki.debian.org/Cloud/AmazonEC2Image); Canonical's account
 * 099720109477 and ubuntu/images/hvm-ssd[-gp3]/ubuntu-<codename>-<version>-amd64-server-<date>
 * (noble publishes under hvm-ssd-gp3 only); the Azure URNs and GCP families as the publishers
 * list them. Check a new entry with `aws ec2 describe-images --owners …`,
 * `az vm image list-skus --publisher … --offer …` and `gcloud compute images describe-from-family`.
 */
export const BASE_OS_NAMES = ["debian-12", "debian-13", "ubuntu-22.04", "ubuntu-24.04"] as const;
export type BaseOsName = (typeof BASE_OS_NAMES)[number];

export interface BaseOs {
  readonly name: BaseOsName;
  /** As os-release says it. */
  readonly id: "debian" | "ubuntu";
  readonly versionId: string;
  readonly codename: string;
  /** "Debian 12", for messages. */
  readonly title: string;
  readonly aws: {
    readonly owner: string;
    /** DescribeImages name filter (and Packer's source_ami_filter). */
    readonly namePattern: string;
    /** Root device of the official AMIs. */
    readonly rootDevice: string;
    /** The login user of the official images. */
    readonly sshUser: string;
  };
  readonly azure: { readonly publisher: string; readonly offer: string; readonly sku: string };
  readonly gcp: { readonly family: string; readonly project: string };
  /** AMD publishes ROCm packages for this release (bookworm uses AMD's jammy repository, as Arvados' role does). */
  readonly rocm: boolean;
}

export const DEBIAN_OWNER = "136693071363";
export const CANONICAL_OWNER = "099720109477";

export const BASE_OSES: Readonly<Record<BaseOsName, BaseOs>> = {
  "debian-12": {
    name: "debian-12",
    id: "debian",
    versionId: "12",
    codename: "bookworm",
    title: "Debian 12",
    aws: { owner: DEBIAN_OWNER, namePattern: "debian-12-amd64-*", rootDevice: "/dev/xvda", sshUser: "admin" },
    azure: { publisher: "Debian", offer: "debian-12", sku: "12-gen2" },
    gcp: { family: "debian-12", project: "debian-cloud" },
    rocm: true,
  },
  "debian-13": {
    name: "debian-13",
    id: "debian",
    versionId: "13",
    codename: "trixie",
    title: "Debian 13",
    aws: { owner: DEBIAN_OWNER, namePattern: "debian-13-amd64-*", rootDevice: "/dev/xvda", sshUser: "admin" },
    azure: { publisher: "Debian", offer: "debian-13", sku: "13-gen2" },
    gcp: { family: "debian-13", project: "debian-cloud" },
    rocm: false,
  },
  "ubuntu-22.04": {
    name: "ubuntu-22.04",
    id: "ubuntu",
    versionId: "22.04",
    codename: "jammy",
    title: "Ubuntu 22.04",
    aws: { owner: CANONICAL_OWNER, namePattern: "ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*", rootDevice: "/dev/sda1", sshUser: "ubuntu" },
    azure: { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2" },
    gcp: { family: "ubuntu-2204-lts", project: "ubuntu-os-cloud" },
    rocm: true,
  },
  "ubuntu-24.04": {
    name: "ubuntu-24.04",
    id: "ubuntu",
    versionId: "24.04",
    codename: "noble",
    title: "Ubuntu 24.04",
    aws: { owner: CANONICAL_OWNER, namePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*", rootDevice: "/dev/sda1", sshUser: "ubuntu" },
    azure: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server" },
    gcp: { family: "ubuntu-2404-lts-amd64", project: "ubuntu-os-cloud" },
    rocm: true,
  },
};

/** The --base-os whose official AMIs a name like this one belongs to (a glob match), if any. */
export function baseOsOfAmiName(name: string): BaseOs | undefined {
  return Object.values(BASE_OSES).find((b) => globMatch(b.aws.namePattern, name));
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(s);
}
