/**
 * THE flag table. Every option of every command is declared here once, as one row: its
 * zod type and default (config/schema.ts builds the schema from them), the commands that
 * take it, its help and group. Commander's options and --help (cli/program.ts), the README
 * flag table (scripts/flag-table.mjs) and shell completion (cli/completion.ts) derive
 * from it too. This file is rows and lookups on them: a row's shape is in flag-types.ts, what a
 * value may look like in values.ts.
 */
import { z } from "zod";
import { ALL_COMMANDS, CLOUDS, IMAGE_COMMANDS, type CommandName, type Flag, type FlagDef } from "./flag-types.js";
import { CHECK_NAMES } from "./preflight-checks.js";
import { MIRRORS, NEWEST_RELEASE, RELEASES } from "../releases/versions.js";
import { BASE_OS_NAMES } from "../releases/base-os.js";
import {
  AMI_ID,
  AWS_REGION,
  SUBNET_ID,
  VPC_ID,
  awsRegionList,
  azureGalleryImageName,
  azureGalleryName,
  azureGalleryVersion,
  azureLocationList,
  azureResourceGroupName,
  bool,
  duration,
  intIn,
  ipAddress,
  match,
  memSize,
  name64,
  packerText,
  remotePath,
  text,
  textList,
  unixUser,
} from "./values.js";

const MIRROR_NAMES = MIRRORS.map((m) => m.name).join(", ");
const KNOWN_SERIES = RELEASES.map((r) => r.series).join(", ");

export { ALL_COMMANDS, CLOUDS, IMAGE_COMMANDS, type Cloud, type CommandName, type Flag, type FlagDef, type FlagGroup, type FlagKind } from "./flag-types.js";

/** A row, its default checked against its type's input (`const` keeps the key and commands literal). */
function flag<const K extends string, T extends z.ZodType, const Cs extends readonly CommandName[], D extends z.input<T> | undefined = undefined>(
  row: Flag<K, T, D, Cs>,
): Flag<K, T, D, Cs> {
  return row;
}

export const FLAGS = [
  // --- cloud selection and general -------------------------------------------------
  flag({
    name: "cloud", key: "cloud", kind: "value", arg: "<aws|azure|gcp>", group: "general", origin: "arv-image",
    type: z.enum(CLOUDS), commands: ALL_COMMANDS,
    help: "Cloud to build for. Inferred from --json-file or from cloud-specific flags when absent.",
    expect: "one of aws, azure, gcp", example: "aws",
  }),
  flag({
    name: "json-file", key: "jsonFile", kind: "value", arg: "<path>", group: "general", origin: "build.sh",
    type: text, commands: IMAGE_COMMANDS,
    help: "build.sh's template choice. The stock arvados-images-aws.json / arvados-images-azure.json only select the cloud; any other JSON template is kept for the legacy pass-through of `arv-image build`.",
    expect: "a path to an existing Packer JSON template", example: "arvados-images-aws.json",
  }),
  flag({
    name: "arvados-cluster-id", key: "arvadosClusterId", kind: "value", arg: "<id>", group: "general", origin: "build.sh",
    type: match(/^[a-z0-9]{5}$/), commands: IMAGE_COMMANDS,
    help: "Arvados cluster id (required unless --arvados-config has one cluster); used in the image name and tags.",
    expect: "exactly 5 characters from [a-z0-9]", example: "zzzzz",
  }),
  flag({
    name: "arvados-config", key: "arvadosConfig", kind: "value", arg: "<path>", group: "general", origin: "arv-image",
    type: text, commands: IMAGE_COMMANDS,
    help: "The cluster's config.yml: supplies the dispatcher's public key (from Containers.DispatchPrivateKey, never written anywhere), the runtime engine and the login user unless given as flags, and warns where it and the flags disagree. --arvados-cluster-id picks the cluster (optional when there is one).",
    expect: "a readable Arvados config.yml", example: "/etc/arvados/config.yml",
  }),
  flag({
    name: "public-key-file", key: "publicKeyFile", kind: "value", arg: "<path>", group: "general", origin: "build.sh",
    type: text, commands: IMAGE_COMMANDS,
    help: "SSH public key(s) of arvados-dispatch-cloud, installed in the login user's authorized_keys (required unless --arvados-config has the dispatcher's key).",
    expect: "a readable file holding one or more SSH public keys (never a private key)", example: "/etc/arvados/dispatch.pub",
  }),
  flag({
    name: "ssh-user", key: "sshUser", kind: "value", arg: "<user>", aliases: ["ssh_user"], group: "general", origin: "build.sh",
    type: unixUser, commands: IMAGE_COMMANDS,
    defaultText: "AWS: the source AMI's (admin on Debian, ubuntu on Ubuntu); Azure, GCP: packer",
    help: "User Packer logs in as on the builder VM.",
    expect: "a Unix user name: a lower-case letter or _ followed by up to 31 of [a-z0-9_-]", example: "admin",
  }),
  flag({
    name: "login-user", key: "loginUser", kind: "value", arg: "<user>", group: "general", origin: "arv-image",
    type: unixUser, default: "crunch", commands: IMAGE_COMMANDS,
    help: "User arvados-dispatch-cloud logs in as (Containers.CloudVMs.DriverParameters.AdminUsername); gets passwordless sudo.",
    expect: "a Unix user name: a lower-case letter or _ followed by up to 31 of [a-z0-9_-]", example: "crunch",
  }),
  flag({
    name: "workdir", key: "workdir", kind: "value", arg: "<path>", group: "general", origin: "build.sh",
    type: remotePath, default: "/tmp", commands: IMAGE_COMMANDS, completes: "nothing", // a path on the builder VM
    help: "Directory on the builder VM where files are staged.",
    expect: "an absolute path under /tmp, /var/tmp, /dev/shm or the SSH user's home, made of [A-Za-z0-9._+@=:,/-], without '..'", example: "/var/tmp",
  }),
  flag({
    name: "resolver", key: "resolver", kind: "value", arg: "<ip>", group: "general", origin: "build.sh",
    type: ipAddress, commands: IMAGE_COMMANDS,
    help: "DNS resolver for compute nodes: the host (dhclient, systemd-resolved, resolvconf, or resolv.conf itself) and Docker; IPv4 or IPv6.",
    expect: "an IPv4 or IPv6 address", example: "10.0.0.2",
  }),
  flag({
    name: "hosts-entry", key: "hostsEntry", kind: "list", arg: "<\"IP NAME…\">", group: "general", origin: "arv-image",
    type: textList, default: [], commands: IMAGE_COMMANDS,
    help: "Line for the image's /etc/hosts (repeatable).",
    expect: "an IP address followed by one or more host names", example: "\"10.0.0.5 zzzzz.example.com keep0.zzzzz.example.com\"",
  }),
  flag({
    name: "hosts-file", key: "hostsFile", kind: "value", arg: "<path>", group: "general", origin: "arv-image",
    type: text, commands: IMAGE_COMMANDS,
    help: "File of /etc/hosts lines for the image (blank lines and # comments allowed).",
    expect: "a readable file of lines \"IP NAME…\"", example: "./compute-hosts",
  }),
  flag({
    name: "mirror", key: "mirror", kind: "list", arg: "<name=url>", group: "general", origin: "arv-image",
    type: textList, default: [], commands: IMAGE_COMMANDS,
    help: `Download from URL instead of the public source NAME (repeatable; for air-gapped sites): ${MIRROR_NAMES}. \`arv-image urls\` lists what a build contacts.`,
    expect: `NAME=URL with NAME one of ${MIRROR_NAMES} and URL an http:// or https:// URL`, example: "arvados-apt=https://mirror.example.com/arvados",
  }),
  flag({
    name: "reposuffix", key: "reposuffix", kind: "value", arg: "<suffix>", group: "general", origin: "build.sh",
    type: match(/^(-[a-z0-9.~+-]+)?$/), default: "", commands: IMAGE_COMMANDS,
    help: "Arvados apt suite suffix, e.g. -dev or -testing.",
    expect: "empty, or '-' followed by [a-z0-9.~+-]", example: "-dev",
  }),
  flag({
    name: "pin-packages", key: "pinPackages", kind: "negatable", group: "general", origin: "build.sh",
    type: z.boolean(), commands: IMAGE_COMMANDS,
    defaultText: "pinned unless --reposuffix -dev",
    help: "Apt pins: Arvados packages never upgraded in place, third-party packages held at tested major versions.",
  }),
  flag({
    name: "arvados-version", key: "arvadosVersion", kind: "value", arg: "<x.y.z>", group: "general", origin: "arv-image",
    type: match(/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+)?$/), default: NEWEST_RELEASE.latest, commands: IMAGE_COMMANDS,
    help: `Arvados release the image is for: its packages are pinned to it (apt priority 995, not with a -dev/-testing --reposuffix), and Docker, CUDA, the NVIDIA driver, the container toolkit, SingularityCE, Go and ROCm are held where Arvados holds them for that release (known: ${KNOWN_SERIES}; another is accepted with a warning and the newest pins).`,
    expect: "an Arvados version X.Y.Z, or X.Y.Z-N for one package revision", example: NEWEST_RELEASE.latest,
  }),
  flag({
    name: "base-os", key: "baseOs", kind: "value", arg: "<os>", group: "general", origin: "arv-image",
    type: z.enum(BASE_OS_NAMES), default: "debian-12", commands: IMAGE_COMMANDS,
    help: "Distribution of the image: picks the official source image on each cloud (unless one is given), the builder's login user and the root device.",
    expect: `one of ${BASE_OS_NAMES.join(", ")}`, example: "ubuntu-24.04",
  }),
  flag({
    name: "runtime-engine", key: "runtimeEngine", kind: "value", arg: "<engine>", group: "general", origin: "arv-image",
    type: z.enum(["docker", "singularity", "both"]), default: "both", commands: IMAGE_COMMANDS,
    help: "Container engine(s) to install: docker, singularity or both (build.sh always installed both).",
    expect: "one of docker, singularity, both", example: "docker",
  }),
  flag({
    name: "mksquashfs-mem", key: "mksquashfsMem", kind: "value", arg: "<size>", group: "general", origin: "build.sh",
    type: memSize, default: "256M", commands: IMAGE_COMMANDS,
    help: "Singularity `mksquashfs mem` setting.",
    expect: "a size from 64M to 64G: a whole number followed by K, M or G", example: "512M",
  }),
  flag({
    name: "nvidia-gpu-support", key: "nvidiaGpuSupport", kind: "switch", group: "general", origin: "build.sh",
    type: z.boolean(), default: false, commands: IMAGE_COMMANDS,
    help: "Install CUDA, the NVIDIA driver and the container toolkit (modules load only on GPU hardware).",
  }),
  flag({
    name: "amd-rocm-support", key: "amdRocmSupport", kind: "switch", group: "general", origin: "arv-image",
    type: z.boolean(), default: false, commands: IMAGE_COMMANDS,
    help: "Install AMD ROCm and the amdgpu kernel driver from AMD's repositories, at the release's ROCm version, as Arvados' compute_amd_rocm role does (a prototype there too); not on debian-13, for which AMD has no packages.",
  }),
  flag({
    name: "debug", key: "debug", kind: "switch", group: "general", origin: "build.sh",
    type: z.boolean(), default: false, commands: IMAGE_COMMANDS,
    help: "Run Packer in its interactive step-by-step -debug mode.",
  }),
  // --- AWS ---------------------------------------------------------------------------
  flag({
    name: "aws-profile", key: "awsProfile", kind: "value", arg: "<name>", cloud: "aws", group: "aws", origin: "build.sh",
    type: packerText, commands: ALL_COMMANDS,
    help: "Profile from the AWS shared config/credentials files.",
    expect: "a profile name (text in Unicode NFC form, without control characters or \"{{\")", example: "arvados-build",
  }),
  flag({
    name: "aws-secrets-file", key: "awsSecretsFile", kind: "value", arg: "<path>", cloud: "aws", group: "aws", origin: "build.sh",
    type: text, commands: ALL_COMMANDS,
    help: "Shell file exporting AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (…); run in a separate bash, exports reach Packer's environment only.",
    expect: "a readable bash file with export lines", example: "~/.aws-arvados.sh",
  }),
  flag({
    name: "aws-source-ami", key: "awsSourceAmi", kind: "value", arg: "<ami>", cloud: "aws", group: "aws", origin: "build.sh",
    type: match(AMI_ID), commands: IMAGE_COMMANDS,
    defaultText: "newest official amd64 AMI of --base-os in the region (Debian: owner 136693071363, Ubuntu: 099720109477)",
    help: "Base AMI for the builder.",
    expect: "\"ami-\" followed by 8 or 17 hex digits", example: "ami-0123456789abcdef0",
  }),
  flag({
    name: "aws-region", key: "awsRegion", kind: "value", arg: "<region>", cloud: "aws", group: "aws", origin: "build.sh",
    type: match(AWS_REGION), default: "us-east-1", commands: ALL_COMMANDS,
    help: "Build region.",
    expect: "an AWS region name", example: "us-west-2",
  }),
  flag({
    name: "aws-vpc-id", key: "awsVpcId", kind: "value", arg: "<vpc>", cloud: "aws", group: "aws", origin: "build.sh",
    type: match(VPC_ID), commands: IMAGE_COMMANDS,
    help: "VPC for the builder instance.",
    expect: "\"vpc-\" followed by 8 or 17 hex digits", example: "vpc-0123456789abcdef0",
  }),
  flag({
    name: "aws-subnet-id", key: "awsSubnetId", kind: "value", arg: "<subnet>", cloud: "aws", group: "aws", origin: "build.sh",
    type: match(SUBNET_ID), commands: IMAGE_COMMANDS,
    help: "Subnet for the builder instance.",
    expect: "\"subnet-\" followed by 8 or 17 hex digits", example: "subnet-0123456789abcdef0",
  }),
  flag({
    name: "aws-associate-public-ip", key: "awsAssociatePublicIp", kind: "value", arg: "<true|false>", cloud: "aws", group: "aws", origin: "build.sh",
    type: bool, default: "true", commands: IMAGE_COMMANDS,
    help: "Give the builder instance a public IP.",
    expect: "true or false", example: "false",
  }),
  flag({
    name: "aws-ena-support", key: "awsEnaSupport", kind: "value", arg: "<true|false>", cloud: "aws", group: "aws", origin: "build.sh",
    type: bool, default: "true", commands: IMAGE_COMMANDS,
    help: "Enable enhanced networking (ENA) on the AMI.",
    expect: "true or false", example: "true",
  }),
  flag({
    name: "aws-instance-type", key: "awsInstanceType", kind: "value", arg: "<type>", cloud: "aws", group: "aws", origin: "arv-image",
    type: match(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/), default: "m5.large", commands: IMAGE_COMMANDS,
    help: "Instance type of the builder.",
    expect: "an EC2 instance type", example: "m5.xlarge",
  }),
  flag({
    name: "aws-volume-size", key: "awsVolumeSize", kind: "value", arg: "<GB>", cloud: "aws", group: "aws", origin: "arv-image",
    type: intIn(8, 16384), default: "20", commands: IMAGE_COMMANDS,
    help: "Root volume size of the image in GB.",
    expect: "a whole number of GB from 8 to 16384", example: "30",
  }),
  flag({
    name: "aws-ami-regions", key: "awsAmiRegions", kind: "value", arg: "<r1,r2…>", cloud: "aws", group: "aws", origin: "arv-image",
    type: awsRegionList, commands: ALL_COMMANDS,
    help: "Copy the AMI to these regions too (comma-separated); the result lists every region's AMI id. Copies keep the original's encryption.",
    expect: "AWS region names separated by commas, not including --aws-region", example: "us-west-2,eu-west-1",
  }),
  flag({
    name: "aws-root-device", key: "awsRootDevice", kind: "value", arg: "<device>", cloud: "aws", group: "aws", origin: "arv-image",
    type: match(/^\/dev\/(sd|xvd)[a-z][0-9]{0,2}$/), commands: IMAGE_COMMANDS,
    defaultText: "the source AMI's (preflight reads it), else --base-os's (Debian /dev/xvda, Ubuntu /dev/sda1)",
    help: "Device of the source AMI's root volume, which --aws-volume-size resizes (Debian: /dev/xvda, Ubuntu: /dev/sda1).",
    expect: "a device path /dev/sd[a-z][0-9]* or /dev/xvd[a-z][0-9]*", example: "/dev/sda1",
  }),
  flag({
    name: "aws-ebs-autoscale", key: "awsEbsAutoscale", kind: "negatable", cloud: "aws", group: "ebs", origin: "build.sh", defaultText: "off",
    type: z.boolean(), default: false, commands: IMAGE_COMMANDS,
    help: "Install the EBS autoscaler: /tmp grows on demand with encrypted EBS volumes.",
  }),
  flag({
    name: "ebs-volume-type", key: "ebsVolumeType", kind: "value", arg: "<type>", cloud: "aws", group: "ebs", origin: "arv-image",
    type: z.enum(["gp3", "gp2", "io1", "io2", "st1", "sc1"]), default: "gp3", commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: volume type.",
    expect: "one of gp3, gp2, io1, io2, st1, sc1", example: "gp3",
  }),
  flag({
    name: "ebs-volume-iops", key: "ebsVolumeIops", kind: "value", arg: "<iops>", cloud: "aws", group: "ebs", origin: "arv-image", defaultText: "3000",
    type: intIn(100, 64000), commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: provisioned IOPS (gp3: 3000–16000; io1/io2: 100–64000).",
    expect: "a whole number in the volume type's IOPS range", example: "6000",
  }),
  flag({
    name: "ebs-volume-throughput", key: "ebsVolumeThroughput", kind: "value", arg: "<MiB/s>", cloud: "aws", group: "ebs", origin: "arv-image", defaultText: "125",
    type: intIn(125, 1000), commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: gp3 throughput in MiB/s (125–1000).",
    expect: "a whole number from 125 to 1000", example: "250",
  }),
  flag({
    name: "ebs-max-volume-size", key: "ebsMaxVolumeSize", kind: "value", arg: "<GB>", cloud: "aws", group: "ebs", origin: "arv-image",
    type: intIn(150, 16384), default: "1500", commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: largest single volume in GB.",
    expect: "a whole number of GB from 150 to 16384", example: "1500",
  }),
  flag({
    name: "ebs-max-logical-size", key: "ebsMaxLogicalSize", kind: "value", arg: "<GB>", cloud: "aws", group: "ebs", origin: "arv-image",
    type: intIn(150, 1_000_000), default: "8000", commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: largest total /tmp size in GB.",
    expect: "a whole number of GB, at least --ebs-max-volume-size", example: "8000",
  }),
  flag({
    name: "ebs-max-volume-count", key: "ebsMaxVolumeCount", kind: "value", arg: "<n>", cloud: "aws", group: "ebs", origin: "arv-image",
    type: intIn(1, 16), default: "16", commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: most volumes attached at once.",
    expect: "a whole number from 1 to 16", example: "16",
  }),
  flag({
    name: "ebs-detection-interval", key: "ebsDetectionInterval", kind: "value", arg: "<seconds>", cloud: "aws", group: "ebs", origin: "arv-image",
    type: intIn(1, 3600), default: "2", commands: IMAGE_COMMANDS,
    help: "EBS autoscaler: seconds between disk-usage checks.",
    expect: "a whole number of seconds from 1 to 3600", example: "5",
  }),
  // --- Azure -------------------------------------------------------------------------
  flag({
    name: "azure-secrets-file", key: "azureSecretsFile", kind: "value", arg: "<path>", cloud: "azure", group: "azure", origin: "build.sh",
    type: text, commands: ALL_COMMANDS,
    help: "Shell file exporting ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_SUBSCRIPTION_ID, ARM_TENANT_ID; exports reach Packer's environment only.",
    expect: "a readable bash file with export lines", example: "~/.azure-arvados.sh",
  }),
  flag({
    name: "azure-resource-group", key: "azureResourceGroup", kind: "value", arg: "<name>", cloud: "azure", group: "azure", origin: "build.sh",
    type: azureResourceGroupName, commands: IMAGE_COMMANDS,
    help: "Resource group of the managed image (required for Azure).",
    expect: "1–90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'", example: "arvados-images",
  }),
  flag({
    name: "azure-location", key: "azureLocation", kind: "value", arg: "<location>", cloud: "azure", group: "azure", origin: "build.sh",
    type: match(/^[a-z][a-z0-9]{2,40}$/), default: "centralus", commands: IMAGE_COMMANDS,
    help: "Azure location of the build.",
    expect: "an Azure location name (lower-case letters and digits)", example: "eastus2",
  }),
  flag({
    name: "azure-sku", key: "azureSku", kind: "value", arg: "<sku>", cloud: "azure", group: "azure", origin: "build.sh",
    type: name64, commands: IMAGE_COMMANDS,
    defaultText: "--base-os's (12-gen2, 13-gen2, 22_04-lts-gen2, server)",
    help: "Base image SKU, e.g. 12-gen2 for Debian's debian-12 offer.",
    expect: "an image SKU of [A-Za-z0-9._-]", example: "12-gen2",
  }),
  flag({
    name: "azure-image-publisher", key: "azureImagePublisher", kind: "value", arg: "<publisher>", cloud: "azure", group: "azure", origin: "arv-image",
    type: name64, commands: IMAGE_COMMANDS,
    defaultText: "--base-os's (Debian, Canonical)",
    help: "Base image publisher.",
    expect: "an image publisher of [A-Za-z0-9._-]", example: "Canonical",
  }),
  flag({
    name: "azure-image-offer", key: "azureImageOffer", kind: "value", arg: "<offer>", cloud: "azure", group: "azure", origin: "arv-image",
    type: name64, commands: IMAGE_COMMANDS,
    defaultText: "--base-os's (debian-12, debian-13, 0001-com-ubuntu-server-jammy, ubuntu-24_04-lts)",
    help: "Base image offer.",
    expect: "an image offer of [A-Za-z0-9._-]", example: "ubuntu-24_04-lts",
  }),
  flag({
    name: "azure-vm-size", key: "azureVmSize", kind: "value", arg: "<size>", cloud: "azure", group: "azure", origin: "arv-image",
    type: match(/^[A-Za-z0-9_]{1,64}$/), default: "Standard_D2s_v5", commands: IMAGE_COMMANDS,
    help: "VM size of the builder.",
    expect: "an Azure VM size of [A-Za-z0-9_]", example: "Standard_D4s_v5",
  }),
  flag({
    name: "azure-cloud-environment", key: "azureCloudEnvironment", kind: "value", arg: "<env>", cloud: "azure", group: "azure", origin: "build.sh",
    // Azure Germany closed in 2021 and the azure plugin 2.x no longer accepts it (build.sh did).
    type: z.enum(["Public", "USGovernment", "China"]), default: "Public", commands: ALL_COMMANDS,
    help: "Azure cloud: Public, USGovernment or China.",
    expect: "one of Public, USGovernment, China (Azure Germany closed in 2021; its regions, e.g. germanywestcentral, are in Public)", example: "USGovernment",
  }),
  flag({
    name: "azure-gallery", key: "azureGallery", kind: "value", arg: "<name>", cloud: "azure", group: "azure", origin: "arv-image",
    type: azureGalleryName, commands: IMAGE_COMMANDS,
    help: "Also publish the image as a version of --azure-gallery-image in this Azure Compute Gallery (Shared Image Gallery); Arvados boots it with DriverParameters.SharedImageGalleryName.",
    expect: "an existing gallery's name: 1–80 letters, digits, '_' or '.', starting and ending with a letter or digit", example: "arvados_images",
  }),
  flag({
    name: "azure-gallery-image", key: "azureGalleryImage", kind: "value", arg: "<definition>", cloud: "azure", group: "azure", origin: "arv-image",
    type: azureGalleryImageName, commands: IMAGE_COMMANDS,
    help: "The gallery's image definition to add a version to (required with --azure-gallery; Linux, x64, the source image's Hyper-V generation); it becomes Arvados' ImageID.",
    expect: "an image definition name: 1–80 letters, digits, '_', '-' or '.', starting and ending with a letter or digit", example: "compute-debian12",
  }),
  flag({
    name: "azure-gallery-version", key: "azureGalleryVersion", kind: "value", arg: "<x.y.z>", cloud: "azure", group: "azure", origin: "arv-image",
    type: azureGalleryVersion, commands: IMAGE_COMMANDS,
    defaultText: "YYYY.MMDD.hhmmss of the build start (UTC, as numbers, e.g. 2026.1203.91507)",
    help: "The gallery image version to create (Arvados' SharedImageGalleryImageVersion); it must not exist yet.",
    expect: "MAJOR.MINOR.PATCH, each a whole number up to 2147483647 without leading zeros", example: "2026.1203.1",
  }),
  flag({
    name: "azure-gallery-resource-group", key: "azureGalleryResourceGroup", kind: "value", arg: "<name>", cloud: "azure", group: "azure", origin: "arv-image",
    type: azureResourceGroupName, commands: IMAGE_COMMANDS,
    defaultText: "--azure-resource-group",
    help: "Resource group of --azure-gallery.",
    expect: "1–90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'", example: "arvados-galleries",
  }),
  flag({
    name: "azure-replication-regions", key: "azureReplicationRegions", kind: "value", arg: "<r1,r2…>", cloud: "azure", group: "azure", origin: "arv-image",
    type: azureLocationList, commands: IMAGE_COMMANDS,
    defaultText: "--azure-location only",
    help: "Replicate the gallery image version to these locations too (comma-separated; --azure-location always gets it).",
    expect: "Azure location names separated by commas", example: "eastus2,westeurope",
  }),
  // --- GCP ---------------------------------------------------------------------------
  flag({
    name: "gcp-project-id", key: "gcpProjectId", kind: "value", arg: "<project>", cloud: "gcp", group: "gcp", origin: "build.sh",
    type: match(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/), commands: IMAGE_COMMANDS,
    help: "GCP project (required for GCP).",
    expect: "6–30 characters: a lower-case letter, then [a-z0-9-], not ending in '-'", example: "arvados-images",
  }),
  flag({
    name: "gcp-account-file", key: "gcpAccountFile", kind: "value", arg: "<path>", cloud: "gcp", group: "gcp", origin: "build.sh",
    type: packerText, commands: IMAGE_COMMANDS,
    defaultText: "application default credentials",
    help: "Service-account JSON key file.",
    expect: "a readable service-account JSON file", example: "./sa.json",
  }),
  flag({
    name: "gcp-zone", key: "gcpZone", kind: "value", arg: "<zone>", cloud: "gcp", group: "gcp", origin: "build.sh",
    type: match(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/), default: "us-central1-f", commands: IMAGE_COMMANDS,
    help: "Build zone.",
    expect: "a GCP zone name", example: "europe-west1-b",
  }),
  flag({
    name: "gcp-source-image-family", key: "gcpSourceImageFamily", kind: "value", arg: "<family>", cloud: "gcp", group: "gcp", origin: "arv-image",
    type: match(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/), commands: IMAGE_COMMANDS,
    defaultText: "--base-os's (debian-12, debian-13, ubuntu-2204-lts, ubuntu-2404-lts-amd64)",
    help: "Base image family.",
    expect: "an image family name of [a-z0-9-]", example: "ubuntu-2404-lts-amd64",
  }),
  flag({
    name: "gcp-source-image-project", key: "gcpSourceImageProject", kind: "value", arg: "<project>", cloud: "gcp", group: "gcp", origin: "arv-image",
    type: match(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/), commands: IMAGE_COMMANDS,
    defaultText: "--base-os's (debian-cloud, ubuntu-os-cloud)",
    help: "Project that publishes the base image family.",
    expect: "a GCP project id", example: "ubuntu-os-cloud",
  }),
  flag({
    name: "gcp-machine-type", key: "gcpMachineType", kind: "value", arg: "<type>", cloud: "gcp", group: "gcp", origin: "arv-image",
    type: match(/^[a-z0-9][a-z0-9-]{0,62}$/), default: "e2-standard-2", commands: IMAGE_COMMANDS,
    help: "Machine type of the builder.",
    expect: "a GCP machine type of [a-z0-9-]", example: "n2-standard-4",
  }),
  // --- output and rendering ----------------------------------------------------------
  flag({
    name: "out", key: "out", kind: "value", arg: "<dir>", group: "output", origin: "arv-image",
    type: text, commands: ["render", "build", "provision"],
    help: "Directory to write the build directory into (must not exist, or be an empty directory). build: default ./arv-image-<cluster>-<time>.",
    expect: "a path whose parent directory exists", example: "./build-zzzzz",
  }),
  flag({
    name: "packer-version", key: "packerVersion", kind: "value", arg: "<x.y.z>", group: "output", origin: "arv-image",
    type: match(/^[0-9]+\.[0-9]+\.[0-9]+$/), commands: IMAGE_COMMANDS,
    defaultText: "`packer version` when packer is on PATH, else 1.11.2",
    help: "Packer version to render for (versions.pkr.hcl and plugin-only settings need ≥ 1.7).",
    expect: "a version number x.y.z of at least 1.6.6", example: "1.6.6",
  }),
  flag({
    name: "json", key: "json", kind: "switch", group: "output", origin: "arv-image",
    type: z.boolean(), default: false, commands: ["config", "preflight", "build", "urls", "provision", "gc"],
    help: "Print one JSON document on stdout (and nothing else there).",
  }),
  flag({
    name: "packer", key: "packer", kind: "value", arg: "<path>", group: "output", origin: "arv-image",
    type: text, commands: ["validate", "preflight", "build", "provision"],
    defaultText: "packer on the PATH",
    help: "Packer binary to run.",
    expect: "the path of a Packer binary", example: "/usr/bin/packer",
  }),
  flag({
    name: "dry-run", key: "dryRun", kind: "switch", group: "output", origin: "arv-image",
    type: z.boolean(), default: false, commands: ["build", "gc"],
    help: "build: render, packer validate, print the plan, and stop before anything is created in the cloud. gc: list what would be deleted, delete nothing.",
  }),
  flag({
    name: "log-format", key: "logFormat", kind: "value", arg: "<format>", group: "output", origin: "arv-image",
    type: z.enum(["human", "json"]), default: "human", commands: ALL_COMMANDS,
    help: "stderr as people read it (human: a live view with a status line on a terminal, time-stamped lines otherwise) or as one JSON event per line for CI systems (json).",
    expect: "human or json", example: "json",
  }),
  flag({
    name: "log-level", key: "logLevel", kind: "value", arg: "<level>", group: "output", origin: "arv-image",
    type: z.enum(["debug", "info", "warn", "error"]), default: "info", commands: ALL_COMMANDS,
    help: "Least important events shown on stderr: debug, info, warn or error.",
    expect: "one of debug, info, warn, error", example: "warn",
  }),
  flag({
    name: "verbose", key: "verbose", kind: "switch", group: "output", origin: "arv-image",
    type: z.boolean(), default: false, commands: ["validate", "build", "provision"],
    help: "Packer's own debug log (PACKER_LOG) into packer-debug-<time>.log in the build directory.",
  }),
  flag({
    name: "emit-config", key: "emitConfig", kind: "value", arg: "<file>", group: "output", origin: "arv-image",
    type: text, commands: ["build"],
    help: "After a successful build, write the config.yml changes (ImageID, Azure ImageResourceGroup, the EBS autoscaler's instance profile, scratch settings and IAM policy) to this file.",
    expect: "a file path in an existing directory", example: "./zzzzz-image.yml",
  }),
  flag({
    name: "older-than", key: "olderThan", kind: "value", arg: "<duration>", group: "output", origin: "arv-image",
    type: duration, default: "2h", commands: ["gc"],
    help: "gc: also sweep tagged resources of unfinished builds created longer ago than this (expired ones always go).",
    expect: "a duration such as 90m, 2h or 1d", example: "6h",
  }),
  // --- provision: an existing machine ------------------------------------------------
  flag({
    name: "ssh-host", key: "sshHost", kind: "value", arg: "<host>", group: "output", origin: "arv-image",
    type: match(/^([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$/), commands: ["provision"],
    help: "provision: the machine to provision (a throwaway VM: the scripts change it as they change a builder).",
    expect: "a host name or IP address", example: "10.0.0.12",
  }),
  flag({
    name: "ssh-port", key: "sshPort", kind: "value", arg: "<port>", group: "output", origin: "arv-image",
    type: intIn(1, 65535), default: "22", commands: ["provision"],
    help: "provision: its SSH port.",
    expect: "a port number from 1 to 65535", example: "2222",
  }),
  flag({
    name: "ssh-private-key-file", key: "sshPrivateKeyFile", kind: "value", arg: "<path>", group: "output", origin: "arv-image",
    type: packerText, commands: ["provision"],
    help: "provision: private key Packer logs in with as --ssh-user (read by Packer; never copied or printed).",
    expect: "a readable SSH private key file", example: "~/.ssh/id_ed25519",
  }),
  flag({
    name: "capture-hygiene", key: "captureHygiene", kind: "switch", group: "output", origin: "arv-image",
    type: z.boolean(), default: false, commands: ["provision"],
    help: "provision: finish as a bake does before the cloud captures the image: remove the SSH host keys (regenerated at next boot), the machine id and cloud-init's state. For a machine you will image yourself, not go on using.",
  }),
  // --- preflight -------------------------------------------------------------------
  flag({
    name: "skip-preflight", key: "skipPreflight", kind: "switch", group: "output", origin: "arv-image",
    type: z.boolean(), default: false, commands: ["build"],
    help: "Start the build without the preflight checks (cloud credentials, AMI, subnet, SKU…).",
  }),
  flag({
    name: "skip-check", key: "skipCheck", kind: "list", arg: "<name>", group: "output", origin: "arv-image",
    type: z.array(z.enum(CHECK_NAMES)), default: [], commands: ["preflight", "build"],
    help: "Leave out one preflight check (repeatable), e.g. aws.instance-type; the names are listed under Preflight in the README.",
    expect: `a preflight check name: ${CHECK_NAMES.join(", ")}`, example: "aws.instance-type",
  }),
  flag({
    name: "preflight-timeout", key: "preflightTimeout", kind: "value", arg: "<seconds>", group: "output", origin: "arv-image",
    type: intIn(1, 300), default: "20", commands: ["preflight", "build"],
    help: "Time limit for each preflight call to a cloud; one that does not answer in time is an error, never a hang.",
    expect: "a whole number of seconds from 1 to 300", example: "60",
  }),
] as const;

/** The rows with their literal types forgotten, for code that works on any row. */
const ROWS: readonly FlagDef[] = FLAGS;

type Row = (typeof FLAGS)[number];
/** Keys of the options only some commands take (--out, --json, --dry-run, gc's, provision's…). */
export type CommandOptionKey = Row extends infer R ? (R extends Row ? (R["commands"] extends typeof IMAGE_COMMANDS | typeof ALL_COMMANDS ? never : R["key"]) : never) : never;
export const COMMAND_OPTION_KEYS: readonly CommandOptionKey[] = ROWS.filter((f) => f.commands !== IMAGE_COMMANDS && f.commands !== ALL_COMMANDS).map((f) => f.key as CommandOptionKey);

export function flagsFor(command: CommandName): FlagDef[] {
  return ROWS.filter((f) => f.commands.includes(command));
}

export function flagByKey(key: string): FlagDef {
  const f = ROWS.find((x) => x.key === key);
  if (!f) throw new Error(`no flag with key ${key}`);
  return f;
}

/** The default as help and the README show it. */
export function shownDefault(f: FlagDef): string | undefined {
  if (f.defaultText !== undefined) return f.defaultText;
  if ((f.kind === "value" || f.kind === "list") && typeof f.default === "string") return f.default;
  return undefined;
}

/** The values a flag takes, when they are a short fixed list (for completion). */
export function choicesOf(f: FlagDef): readonly string[] | undefined {
  const t: z.ZodType = f.type instanceof z.ZodArray ? (f.type.element as z.ZodType) : f.type;
  if (t instanceof z.ZodEnum) return t.options.map(String);
  if (t === bool) return ["true", "false"];
  return undefined;
}
