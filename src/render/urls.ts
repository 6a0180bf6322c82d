/**
 * Every address a build with these flags contacts, for firewall allow-lists: what arv-image
 * and Packer call from the operator's machine, and what the provisioning scripts download
 * on the builder VM (after --mirror).
 */
import type { Cloud } from "../config/flags.js";
import type { ResolvedConfig } from "../config/resolved.js";
import { compareVersions } from "../compare-versions.js";
import { AZURE_CLOUDS } from "../data/azure-clouds.js";
import { packerFeatures, scriptContext } from "./context.js";

export interface UrlUse {
  url: string;
  /** Who connects: arv-image and Packer on this machine, or the builder VM. */
  from: "this machine" | "builder VM";
  purpose: string;
}

export function buildUrls(c: ResolvedConfig, cloud: Cloud): UrlUse[] {
  const o = c.options;
  const here = (url: string, purpose: string): UrlUse => ({ url, from: "this machine", purpose });
  const vm = (url: string, purpose: string): UrlUse => ({ url, from: "builder VM", purpose });
  const out: UrlUse[] = [];
  if (cloud === "aws") {
    out.push(here(`https://ec2.${o.awsRegion}.amazonaws.com`, "EC2 API: preflight, and Packer's instance, key pair, security group and AMI calls"));
    out.push(here(`https://sts.${o.awsRegion}.amazonaws.com`, "STS, only when the credentials are a role, SSO or web identity"));
  } else if (cloud === "azure") {
    const h = AZURE_CLOUDS[o.azureCloudEnvironment];
    out.push(here(h.login, "Entra ID token for the service principal (preflight and Packer)"));
    out.push(here(h.arm, "Azure Resource Manager: preflight, and Packer's resource group, VM and image calls"));
  } else {
    out.push(here("https://oauth2.googleapis.com", "token for the service account"));
    out.push(here("https://compute.googleapis.com", "Compute Engine API: Packer's instance and image calls"));
  }
  if (packerFeatures(c.packer.version).requiredPlugins) {
    // Packer 1.14 looks for official plugins on releases.hashicorp.com first and falls back to
    // GitHub; 1.7-1.13 know GitHub releases only.
    if (compareVersions(c.packer.version, "1.14.0") >= 0) {
      out.push(here("https://releases.hashicorp.com", "packer init: finding and downloading the plugin (Packer 1.14 and later)"));
    }
    out.push(here("https://api.github.com", "packer init: finding the plugin release"));
    out.push(here("https://github.com", "packer init: downloading the plugin (redirects to objects.githubusercontent.com)"));
  }
  out.push(
    c.baseOs.id === "debian"
      ? vm("the base image's own Debian mirror", `${c.baseOs.title} packages (apt sources of the base image; Debian's AMIs use cdn-aws.deb.debian.org)`)
      : vm("the base image's own Ubuntu mirror", `${c.baseOs.title} packages (apt sources of the base image; on clouds a regional mirror such as <region>.ec2.archive.ubuntu.com)`),
  );

  const { v, on } = scriptContext(c, cloud);
  out.push(vm(`${v.arvadosAptUrl}/`, `Arvados apt repository (<url>/<codename>, suite <codename>${o.reposuffix})`));
  out.push(vm(v.arvadosKeyUrl, "Arvados apt signing key"));
  if (on.docker) {
    out.push(vm(`${v.dockerAptUrl}/${c.baseOs.id}`, "Docker apt repository"));
    out.push(vm(v.dockerKeyUrl || `${v.dockerAptUrl}/${c.baseOs.id}/gpg`, "Docker apt signing key"));
  }
  // The scripts read it from /etc/os-release: $ID${VERSION_ID//./} (debian12, ubuntu2404).
  const cudaDistro = `${c.baseOs.id}${c.baseOs.versionId.replace(".", "")}`;
  if (on.nvidia) {
    out.push(vm(`${v.cudaRepoUrl}/${cudaDistro}/x86_64/cuda-keyring_${v.cudaKeyringVersion}_all.deb`, "NVIDIA CUDA repository keyring package"));
    out.push(vm(`${v.cudaRepoUrl}/${cudaDistro}/x86_64/`, "NVIDIA CUDA apt repository (drivers, CUDA)"));
    out.push(vm(`${v.nvidiaToolkitUrl}/amd64`, "NVIDIA container toolkit apt repository"));
    out.push(vm(v.nvidiaToolkitKeyUrl, "NVIDIA container toolkit signing key"));
  }
  if (on.rocm) {
    out.push(vm(v.rocmKeyUrl, "AMD ROCm signing key"));
    out.push(vm(`${v.rocmRepoUrl}/rocm/apt/${v.rocmVersion}`, `AMD ROCm ${v.rocmVersion} apt repository`));
    out.push(vm(`${v.rocmRepoUrl}/amdgpu/${v.rocmVersion}/ubuntu`, "AMD amdgpu driver apt repository (amdgpu-dkms)"));
  }
  if (on.singularity) {
    out.push(vm(`${v.goUrl}/go${v.goVersion}.linux-amd64.tar.gz`, "Go toolchain to build Singularity (removed afterwards)"));
    out.push(vm(`${v.singularityUrl}/v${v.singularityVersion}/singularity-ce-${v.singularityVersion}.tar.gz`, "SingularityCE source"));
  }
  if (on.ebsAutoscale) out.push(vm(`${v.autoscalerUrl}/${v.autoscalerCommit}.tar.gz`, "amazon-ebs-autoscale (Arvados' fork); the AWS CLI comes from Debian"));
  return out;
}
