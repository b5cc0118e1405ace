// PIVOT and UNPIVOT, as DuckDB reads the SQL standard's.
//
// `FROM t PIVOT (sum(v) AS s, max(w) FOR k IN ('a' AS first, 'b'))`, as DuckDB reads the SQL
// standard's PIVOT: t grouped by every column neither an aggregate nor FOR reads, and per value
// of the IN list and aggregate a column of that aggregate over the group's rows whose FOR column
// is that value. A column is named by its value (or the value's alias), with the aggregate's
// alias, or its text when there are several, after an underscore: first_s, b_max(w). DuckDB's PIVOT
// statement may name the groups' keys instead (GROUP BY).
import type { ColumnDef, ColumnId, Expr, LogicalPlan, Measure } from "../logical.ts";
import { columnRef, columnsOf, mapExpr, outputColumns } from "../plan-utils.ts";
import type { ColumnIds } from "./binder.ts";
import { freshCopy, renameColumns } from "./correlation.ts";
import { literal } from "./literals.ts";
import { call, filteredAggregates, isNull } from "./operators.ts";
import type { ScopeItem } from "./scope.ts";
import { type } from "../types.ts";

export interface PivotParts {
  /** The FROM clause's plan and its columns. */
  readonly input: { readonly plan: LogicalPlan; readonly items: readonly ScopeItem[] };
  /** The aggregates, as bound, with the names a pivot column takes from them (alias or text). */
  readonly aggregates: readonly { readonly expr: Expr; readonly alias: string | undefined; readonly text: string }[];
  /** What ON (FOR) reads: one column, or several (DuckDB's PIVOT statement's `ON a, b`). */
  readonly columns: readonly Expr[];
  /** Per pivot column: a value of each of `columns`, and its name. */
  readonly values: readonly { readonly values: readonly Expr[]; readonly name: string }[];
  /** The groups' keys (DuckDB's PIVOT statement's GROUP BY), in order; absent: every column neither the aggregates nor FOR read. */
  readonly groupBy?: readonly ScopeItem[];
}

export function pivotPlan(parts: PivotParts, ids: ColumnIds): { plan: LogicalPlan; items: ScopeItem[] } {
  const read = new Set<ColumnId>();
  for (const c of parts.columns) columnsOf(c, read);
  for (const a of parts.aggregates) columnsOf(a.expr, read);
  const kept = parts.groupBy ?? parts.input.items.filter((i) => !i.merged && !read.has(i.column.id));
  const groups = kept.map((i) => ({ column: i.column, expr: columnRef(i.column) }));
  const measures: Measure[] = [];
  const outputs: { column: ColumnDef; expr: Expr }[] = groups.map((g) => ({ column: g.column, expr: columnRef(g.column) }));
  const items: ScopeItem[] = kept.map((i) => ({ qualifier: undefined, name: i.name, column: i.column }));
  for (const { values, name } of parts.values) {
    // The group's rows whose FOR columns are the values (NULL the same as NULL, as DuckDB matches them).
    const matches = parts.columns.map((c, i) => call("is_not_distinct_from", [c, values[i]], type("boolean", false)));
    const match = matches.length === 1 ? matches[0] : call("and", matches, type("boolean", false));
    for (const aggregate of parts.aggregates) {
      const only = mapExpr(filteredAggregates(aggregate.expr, match), (x) => {
        if (x.kind !== "aggregate") return x;
        const column = ids.column(x.call.fn, x.call.type);
        measures.push({ column, call: x.call });
        return columnRef(column);
      });
      const label = parts.aggregates.length === 1 ? (aggregate.alias === undefined ? name : `${name}_${aggregate.alias}`) : `${name}_${aggregate.alias ?? aggregate.text}`;
      const column = ids.column(label, only.type);
      outputs.push({ column, expr: only });
      items.push({ qualifier: undefined, name: label, column });
    }
  }
  const aggregated: LogicalPlan = { kind: "aggregate", input: parts.input.plan, groups, measures, phase: "single" };
  return { plan: { kind: "project", input: aggregated, outputs }, items };
}

export interface UnpivotParts {
  readonly input: { readonly plan: LogicalPlan; readonly items: readonly ScopeItem[] };
  /** The columns turned into rows, each in the values' common type, with the name its rows carry. */
  readonly columns: readonly { readonly value: Expr; readonly name: string }[];
  readonly valueName: string;
  readonly nameName: string;
  /** INCLUDE NULLS: a NULL value makes a row too (by default it makes none). */
  readonly includeNulls: boolean;
}

/**
 * `FROM t UNPIVOT (amount FOR quarter IN (q1, q2 AS second))`: per row of t and listed column, a
 * row of t's other columns, the column's name (or alias) and its value — one input per column,
 * their rows appended (UNION ALL).
 */
export function unpivotPlan(parts: UnpivotParts, ids: ColumnIds): { plan: LogicalPlan; items: ScopeItem[] } {
  const listed = new Set<ColumnId>();
  for (const c of parts.columns) columnsOf(c.value, listed);
  const kept = parts.input.items.filter((i) => !i.merged && !listed.has(i.column.id));
  const valueType = { ...parts.columns[0].value.type, nullable: true };
  const nameType = type("string", false);
  const inputs = parts.columns.map(({ value, name }): LogicalPlan => {
    const copied = new Map<ColumnId, ColumnDef>();
    const copy = freshCopy(parts.input.plan, ids, copied);
    const moved = renameColumns(value, copied);
    const rows: LogicalPlan = parts.includeNulls ? copy : { kind: "filter", input: copy, predicate: isNull(moved, true) };
    return {
      kind: "project",
      input: rows,
      outputs: [
        ...kept.map((i) => ({ column: ids.column(i.name, i.column.type), expr: renameColumns(columnRef(i.column), copied) })),
        { column: ids.column(parts.nameName, nameType), expr: literal(name, nameType) },
        { column: ids.column(parts.valueName, valueType), expr: moved },
      ],
    };
  });
  const columns = outputColumns(inputs[0]).map((c) => ids.column(c.name, c.type));
  const names = [...kept.map((i) => i.name), parts.nameName, parts.valueName];
  return { plan: { kind: "set", op: "union_all", inputs, columns }, items: columns.map((column, i) => ({ qualifier: undefined, name: names[i], column })) };
}
