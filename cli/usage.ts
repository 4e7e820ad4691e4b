export class UsageError extends Error {}

/** A command failed for a reason the user can act on; main prints the message without a stack. */
export class StartError extends Error {}
