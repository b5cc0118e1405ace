// The Substrait contract between the planner, the executor and other producers' plans.
// Generated message types are re-exported from here so the rest of the code never reaches
// into proto/gen/ directly.
export * from "./gen/substrait/plan.ts";
export * from "./gen/substrait/algebra.ts";
export * from "./gen/substrait/type.ts";
export * from "./gen/substrait/extensions/extensions.ts";
export * from "./named-struct.ts";
// trustql's ledger messages (proto/trustql/ledger.proto), under one name so they never collide with Substrait's.
export * as ledgerpb from "./gen/trustql/ledger.ts";
// trustql's relations inside Substrait plans (proto/trustql/plan.proto): extension relations' details.
export * as planpb from "./gen/trustql/plan.ts";
/** The type URLs of those details, in the `google.protobuf.Any` that carries each. */
export const PLAN_DETAIL_TYPE_URLS = {
  recursiveUnion: "type.googleapis.com/trustql.plan.v1.RecursiveUnion",
  workingTable: "type.googleapis.com/trustql.plan.v1.WorkingTable",
  unnest: "type.googleapis.com/trustql.plan.v1.Unnest",
} as const;

/** The Substrait release whose schema proto/ follows (see ../shared/DESIGN.md, Contracts). */
export const SUBSTRAIT_VERSION = { majorNumber: 0, minorNumber: 84, patchNumber: 0 } as const;

export const PRODUCER = "trustql";

/**
 * The type variation of a string that is DuckDB's JSON (trustql_functions_scalar.yaml's `json`):
 * text holding a JSON document, which DuckDB names JSON and writes raw within JSON.
 */
export const JSON_TYPE_VARIATION = 1;

/**
 * The official extension files, by the URN a current plan names them with and the URI older
 * producers used (the consumer accepts either; the producer writes only URNs).
 */
export const EXTENSIONS = {
  arithmetic: "functions_arithmetic",
  arithmeticDecimal: "functions_arithmetic_decimal",
  boolean: "functions_boolean",
  comparison: "functions_comparison",
  datetime: "functions_datetime",
  string: "functions_string",
  rounding: "functions_rounding",
  logarithmic: "functions_logarithmic",
  aggregateGeneric: "functions_aggregate_generic",
  aggregateApprox: "functions_aggregate_approx",
  aggregateDecimalOutput: "functions_aggregate_decimal_output",
  set: "functions_set",
} as const;

/**
 * trustql's own extension files, for what the standard ones leave out; each is published as
 * YAML in proto/extensions/ and named `extension:io.trustql:<file>` in plans.
 */
export const TRUSTQL_EXTENSIONS = {
  /** min and max over strings and booleans (functions_arithmetic's are numeric only), median, quantiles, mode, arg_min/arg_max. */
  aggregate: "trustql_functions_aggregate",
  /** DuckDB's functions of strings, regular expressions and dates that the standard files lack. */
  scalar: "trustql_functions_scalar",
} as const;

export type ExtensionFile =
  | (typeof EXTENSIONS)[keyof typeof EXTENSIONS]
  | (typeof TRUSTQL_EXTENSIONS)[keyof typeof TRUSTQL_EXTENSIONS];

export function extensionUrn(file: ExtensionFile): string {
  const ours: readonly string[] = Object.values(TRUSTQL_EXTENSIONS);
  return ours.includes(file) ? `extension:io.trustql:${file}` : `extension:io.substrait:${file}`;
}

/** Old producers name extension files by URL; the file's base name is what identifies it. */
export function extensionFileOf(uriOrUrn: string): string {
  const tail = uriOrUrn.slice(Math.max(uriOrUrn.lastIndexOf("/"), uriOrUrn.lastIndexOf(":")) + 1);
  return tail.replace(/\.ya?ml$/, "");
}
