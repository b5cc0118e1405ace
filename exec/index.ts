// exec/: running Substrait plans on one node's DuckDB over parquet, results as Arrow.
export { LocalEngine, type EngineOptions, type ExecuteOptions, type Progress, type QueryResult } from "./engine.ts";
export { loadPlan, planFromBinary, planFromJson, MAX_PLAN_BYTES } from "./plan-file.ts";
export { translatePlan, type TranslatedPlan, type TableResolver, type TableSource, type TableColumn } from "./substrait/index.ts";
export { ArrowCollector } from "./arrow.ts";
export { substraitTypeFromDuckdb, duckdbTypeFromSubstrait, namedStructFromColumns } from "./types.ts";
