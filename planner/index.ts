// SQL text → Substrait plan: parse, bind against a catalog, optimize, emit.
import type { Plan } from "../proto/index.ts";
import type { Catalog } from "./catalog.ts";
import type { LogicalPlan } from "./logical.ts";
import { parseSql } from "./parse/index.ts";
import { bindQuery, ColumnIds } from "./bind/binder.ts";
import { optimize } from "./optimize/index.ts";
import { emitPlan } from "./substrait/emit.ts";
import { explainPlan } from "./explain.ts";
import { describeStatement, descriptionSql, summarySql, tablesSql } from "./describe.ts";
import { outputColumns } from "./plan-utils.ts";

export type { Catalog, CatalogTable } from "./catalog.ts";
export { MemoryCatalog } from "./catalog.ts";
export type { LogicalPlan } from "./logical.ts";

export interface PlanOptions {
  /** Emit every aggregate as a partial (INITIAL_TO_INTERMEDIATE) + final (INTERMEDIATE_TO_RESULT) pair, decomposing avg etc. into distributable parts. */
  twoPhaseAggregates?: boolean;
  /** Run the optimizer (default true); false gives the bound plan as written, for tests. */
  optimize?: boolean;
  /** The time current_date and now() read (default: when planSql is called). */
  now?: Date;
}

export interface PlannedQuery {
  /** Substrait */
  plan: Plan;
  /** Output column names, as the user will see them. */
  names: string[];
  /** The optimized IR (a later issue cuts it into distributed stages). */
  logical: LogicalPlan;
  /** The optimized plan as a readable indented tree (what `trustql sql --explain` prints). */
  explain(): string;
}

export function planSql(sql: string, catalog: Catalog, options: PlanOptions = {}): PlannedQuery {
  const statement = describeStatement(sql);
  if (statement && "tables" in statement) return planSql(tablesSql(catalog.tables().map((t) => t.names.join("."))), catalog, options);
  if (statement) {
    const bound = bindQuery(parseSql(statement.described), catalog, new ColumnIds(), options.now);
    const types = outputColumns(bound.plan).map((c) => c.type);
    return planSql(statement.summarized ? summarySql(statement.described, bound.names, types) : descriptionSql(bound.names, types), catalog, options);
  }
  const parsed = parseSql(sql);
  const ids = new ColumnIds();
  const bound = bindQuery(parsed, catalog, ids, options.now);
  const logical =
    options.optimize === false ? bound.plan : optimize(bound.plan, { ids, twoPhaseAggregates: options.twoPhaseAggregates ?? false });
  const names = distinctNames(bound.names);
  const plan = emitPlan(logical, names);
  return { plan, names, logical, explain: () => explainPlan(logical) };
}

/**
 * Output names made distinct as DuckDB names the columns of CREATE TABLE AS (a later `a` becomes
 * `a_1`, then `a_2`, …): an Arrow record batch cannot hold two columns of one name, and
 * `SELECT round(x), round(y)` names both `round(...)`.
 */
export function distinctNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((original) => {
    let name = original;
    for (let i = 1; used.has(name); i++) name = `${original}_${i}`;
    used.add(name);
    return name;
  });
}
