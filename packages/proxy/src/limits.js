// The proxy's ceilings in one place: what it keeps, checks and holds in memory, and what happens past each.
// The README's "Ceilings" section states them; change both together.

/** Bodies up to the mock's limit are kept and checked (after decoding); bigger ones are forwarded untouched and reported as not validated. */
export const MAX_VALIDATED_BYTES = 1024 * 1024;

/**
 * The kept copies of the bodies of all exchanges in flight together (each up to MAX_VALIDATED_BYTES per
 * direction). Past it, an exchange's copy is dropped: it is forwarded as always and reported `not-validated`.
 * `startProxy({ maxKeptBytes })` sets another.
 */
export const MAX_KEPT_BYTES = 128 * 1024 * 1024;

/**
 * Finished exchanges waiting for the checker, by count and by the bytes of their kept bodies. Past either, an
 * exchange is forwarded as always but neither checked nor captured, and the report says so (`not-validated`).
 */
export const MAX_WAITING_EXCHANGES = 64;
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;

/** The checker's heap (a worker thread): a check that needs more ends that worker, and a new one takes over. */
export const CHECKER_HEAP_MB = 256;

/** Discrepancies the report remembers to fold repeats into (per route, action, direction, status, kind and pattern). */
export const MAX_TRACKED_DISCREPANCIES = 10_000;

/** How often repeats are summarised in the report (and at every flush and at close). */
export const REPEAT_SUMMARY_MS = 60_000;

/** Fields a captured record lists per body (request or answer); past that the record is marked incomplete. */
export const MAX_RECORD_FIELDS = 2_000;

/** Query parameter and header names a captured record lists. */
export const MAX_RECORD_NAMES = 200;

/** Records the capture holds in memory (the ones being written); every other record is read back from its file. */
export const MAX_OPEN_RECORDS = 16;

/**
 * How deep a JSON body may nest objects and arrays to be checked and captured: the checks, the masking and the
 * capture walk a body recursively, and one nested deeper than the stack allows would end them half-way. A deeper
 * body is forwarded as always and reported `not-validated`.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * One entry of a HAR file (`check --har`, `readHar`): the most bytes it may take in the file, and how deep it may
 * nest. An entry holding bodies the checker validates (1 MiB each, even JSON-escaped or base64) fits; a bigger or
 * deeper one is read past and counted as skipped (`too-large`, `too-deep`), and the file reads on.
 */
export const MAX_HAR_ENTRY_BYTES = 16 * 1024 * 1024;
export const MAX_HAR_ENTRY_DEPTH = 512;
