/**
 * The shared command policy (see types.ts): checkArgv for exact argv, capabilityClass and
 * approvalNeeded for device-agent calls, and the grammar as text for prompts and docs.
 */
export * from "./types";
export { checkArgv, MAX_WORDS, MAX_WORD_LENGTH } from "./check";
export { approvalNeeded, capabilityClass, DEFAULT_APPROVAL_CLASSES } from "./classes";
export { defaultReadPrograms, describePrograms, policyTable } from "./describe";
export { sampleReadArgv } from "./sample";
export { followArgumentLinksFlag } from "./follow";
