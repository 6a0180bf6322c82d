/**
 * How arv-image marks what a build creates in a cloud (templates/packer/*.pkr.hcl.hbs),
 * and so how `arv-image gc` recognises a leftover.
 */
export const BUILD_ID_TAG = "arv-image-build-id";
/** ISO 8601 UTC; removed from the images of a successful build. */
export const EXPIRES_TAG = "arv-image-expires";
/** A bake takes well under this; after it, a tagged resource of an unfinished build is a leftover. */
export const BUILD_EXPIRY_HOURS = 12;
