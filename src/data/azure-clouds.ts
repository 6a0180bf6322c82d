/** Login and Resource Manager hosts of each Azure cloud (the names Packer's cloud_environment_name takes). */
export const AZURE_CLOUDS = {
  Public: { login: "https://login.microsoftonline.com", arm: "https://management.azure.com" },
  USGovernment: { login: "https://login.microsoftonline.us", arm: "https://management.usgovcloudapi.net" },
  China: { login: "https://login.chinacloudapi.cn", arm: "https://management.chinacloudapi.cn" },
} as const;
