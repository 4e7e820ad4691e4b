export const GROUP = 'management.cattle.io'
export const VERSION = 'v3'
export const API_VERSION = `${GROUP}/${VERSION}` as const
