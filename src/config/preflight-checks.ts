/**
 * The names of the preflight checks (for --skip-check, findings and the README). The
 * checks themselves live in src/preflight/ and src/clouds/.
 */
export const PREFLIGHT_CHECKS = {
  "local.packer": "Packer is on the PATH (or --packer) and new enough for what was rendered",
  "local.public-key": "the --public-key-file keys, as they will be installed",
  "aws.credentials": "the AWS credentials (profile, secrets file or environment) are accepted by EC2 in --aws-region",
  "aws.source-ami": "the source AMI exists in the region, is available, x86_64, EBS-backed and fits the root volume (or: which official AMI of --base-os is chosen)",
  "aws.ssh-user": "the SSH user inferred from the source AMI (Debian: admin, Ubuntu: ubuntu)",
  "aws.vpc": "--aws-vpc-id exists",
  "aws.subnet": "--aws-subnet-id exists and belongs to --aws-vpc-id",
  "aws.instance-type": "--aws-instance-type is offered in the subnet's availability zone (or the region)",
  "azure.credentials": "the service principal in the Azure secrets file or environment gets a token",
  "azure.resource-group": "--azure-resource-group exists",
  "azure.image": "--azure-image-publisher/--azure-image-offer/--azure-sku exists in --azure-location",
  "azure.vm-size": "--azure-vm-size is offered in --azure-location",
  "azure.gallery":
    "with --azure-gallery: the gallery exists; --azure-gallery-image exists and fits the source image (Linux, generalized, its Hyper-V generation, x64); --azure-gallery-version is not taken",
  "gcp.account-file": "--gcp-account-file is a service-account key for --gcp-project-id",
} as const;

export type CheckName = keyof typeof PREFLIGHT_CHECKS;
export const CHECK_NAMES = Object.keys(PREFLIGHT_CHECKS) as CheckName[];
