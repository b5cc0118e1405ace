// DuckDB's ASOF JOIN: each left row joined to the one right row nearest it by the condition's one
// inequality among those its equalities match (`ON t.sym = q.sym AND t.ts >= q.ts`: the latest
// quote at or before the trade); ASOF LEFT JOIN keeps a left row with no such right row.
//
// As a sort, not as pairs: the left and right rows go into one stream, partitioned by the
// equalities' values and ordered by the inequality's, and each left row takes the nearest right
// value before it (or after it, for <= and <) with last_value/first_value IGNORE NULLS. An
// equi-join on the equalities and that value then finds the right row. So the work grows with the
// rows, not with the pairs the inequality admits, and the window runs where its partition's rows
// meet, like any window. Right rows equal in the equalities' and the inequality's values are one
// (the first by all their values): DuckDB also takes one of them.
import { UserError, type SourcePosition } from "../../common/errors.ts";
import type { ColumnDef, ColumnId, Expr, FrameBound, LogicalPlan, ProjectOutput, SortKey } from "../logical.ts";
import { columnRef, columnsOf, conjuncts, outputColumns, passedThrough } from "../plan-utils.ts";
import { type, withNullable } from "../types.ts";
import type { ColumnIds } from "./binder.ts";
import { freshCopy, renameColumns } from "./correlation.ts";
import { numberedRows } from "./numbered.ts";
import { literal, nullLiteral } from "./literals.ts";
import { and, caseExpr, compare, isNull, or } from "./operators.ts";

interface AsofCondition {
  /** The equalities' left and right values, of one type each pair. */
  readonly keys: readonly { readonly left: Expr; readonly right: Expr }[];
  readonly left: Expr;
  readonly right: Expr;
  /** Whether the right value may equal the left one (>=, <=), and on which side of it it lies. */
  readonly inclusive: boolean;
  readonly rightBelow: boolean;
}

export function asofJoin(left: LogicalPlan, right: LogicalPlan, on: Expr, joinType: "inner" | "left", ids: ColumnIds, position: SourcePosition | undefined): LogicalPlan {
  const condition = readCondition(left, right, on, position);
  const leftColumns = outputColumns(left);
  const rightColumns = outputColumns(right);
  const i64 = type("i64", false);
  const valueType = withNullable(condition.right.type, true);

  // One stream: the left rows (their columns, side 1) and the right rows (their inequality value, side 0).
  const streamLeft = leftColumns.map((c) => ids.column(c.name, withNullable(c.type, true)));
  const streamKeys = condition.keys.map((k) => ids.column("asof_key", withNullable(k.left.type, true)));
  const [order, side, rightValue] = [ids.column("asof_order", valueType), ids.column("asof_side", i64), ids.column("asof_right", valueType)];
  const stream = [...streamLeft, ...streamKeys, order, side, rightValue];
  const fromLeft: LogicalPlan = {
    kind: "project",
    input: left,
    outputs: [...leftColumns.map(columnRef), ...condition.keys.map((k) => k.left), condition.left, literal(1n, i64), nullLiteral(valueType)].map((expr, i) => ({ column: ids.column(stream[i].name, stream[i].type), expr })),
  };
  // The right side is read twice (here, and for the join below): this read is a copy with columns of its own.
  const copied = new Map<ColumnId, ColumnDef>();
  const rightCopy = freshCopy(right, ids, copied);
  const inCopy = (e: Expr) => renameColumns(e, copied);
  const fromRight: LogicalPlan = {
    kind: "project",
    input: rightCopy,
    outputs: [...streamLeft.map((c) => nullLiteral(c.type)), ...condition.keys.map((k) => inCopy(k.right)), inCopy(condition.right), literal(0n, i64), inCopy(condition.right)].map((expr, i) => ({ column: ids.column(stream[i].name, stream[i].type), expr })),
  };
  const union: LogicalPlan = { kind: "set", op: "union_all", inputs: [fromLeft, fromRight], columns: stream };

  // At an equal value, a right row counts for a left one when the inequality admits equality: it
  // comes before the left row when the fill looks back (right values below), after when forward.
  const rightFirst = condition.inclusive === condition.rightBelow;
  const orderBy: SortKey[] = [
    { expr: columnRef(order), descending: false, nullsFirst: false },
    { expr: columnRef(side), descending: !rightFirst, nullsFirst: false },
  ];
  const [unbounded, current]: FrameBound[] = [{ kind: "unbounded" }, { kind: "current" }];
  const nearest = ids.column("asof_nearest", valueType);
  const filled: LogicalPlan = {
    kind: "window",
    input: union,
    functions: [
      {
        column: nearest,
        call: {
          fn: condition.rightBelow ? "last_value" : "first_value",
          args: [columnRef(rightValue)],
          partitionBy: streamKeys.map(columnRef),
          orderBy,
          frame: { unit: "rows", lower: condition.rightBelow ? unbounded : current, upper: condition.rightBelow ? current : unbounded },
          ignoreNulls: true,
          type: valueType,
        },
      },
    ],
  };
  // A left row with a NULL value to compare matches nothing (its partition may hold right rows with NULLs too).
  const comparable = or([...streamKeys, order].map((c) => isNull(columnRef(c), false)));
  const matched = ids.column("asof_match", valueType);
  const leftRows: LogicalPlan = {
    kind: "project",
    input: { kind: "filter", input: filled, predicate: compare("equal", columnRef(side), literal(1n, i64), position) },
    outputs: [
      ...passedThrough([...streamLeft, ...streamKeys]),
      { column: matched, expr: caseExpr([{ when: comparable, then: nullLiteral(valueType) }], columnRef(nearest), position) },
    ],
  };

  // The right rows, one per (equalities' values, inequality's value): the first by all their values.
  const first = ids.column("asof_first", i64);
  const rightKeyed = ids.column("asof_right_value", valueType);
  const rightKeys = condition.keys.map((k, i) => ({ column: ids.column("asof_right_key", withNullable(k.right.type, true)), expr: k.right, stream: streamKeys[i] }));
  const keyedRight: LogicalPlan = { kind: "project", input: right, outputs: [...passedThrough(rightColumns), ...rightKeys, { column: rightKeyed, expr: condition.right }] };
  const byValues = [...rightKeys.map((k) => columnRef(k.column)), columnRef(rightKeyed)];
  const oneEach = numberedRows(keyedRight, first, byValues, rightColumns.map((c) => ({ expr: columnRef(c), descending: false, nullsFirst: false })), 0, 1);
  const joinCondition = and([...rightKeys.map((k) => compare("equal", columnRef(k.stream), columnRef(k.column), position)), compare("equal", columnRef(matched), columnRef(rightKeyed), position)]);
  const joined: LogicalPlan = { kind: "join", joinType, left: leftRows, right: oneEach, condition: joinCondition };
  const joinedRight = joinType === "left" ? rightColumns.map((c) => ({ ...c, type: withNullable(c.type, true) })) : rightColumns;
  const outputs: ProjectOutput[] = [
    ...leftColumns.map((c, i) => ({ column: c, expr: columnRef(streamLeft[i]) })),
    ...passedThrough(joinedRight),
  ];
  return { kind: "project", input: joined, outputs };
}

/** The condition as equalities and one inequality between a left and a right value, or the user's error. */
function readCondition(left: LogicalPlan, right: LogicalPlan, on: Expr, position: SourcePosition | undefined): AsofCondition {
  const leftIds = new Set(outputColumns(left).map((c) => c.id));
  const rightIds = new Set(outputColumns(right).map((c) => c.id));
  const side = (e: Expr) => {
    const read = [...columnsOf(e)];
    if (read.length > 0 && read.every((id) => leftIds.has(id))) return "left";
    return read.length > 0 && read.every((id) => rightIds.has(id)) ? "right" : undefined;
  };
  const refuse = () => new UserError("ASOF JOIN's condition is equalities and one inequality (>=, >, <=, <) between a left and a right value", position);
  const keys: { left: Expr; right: Expr }[] = [];
  let inequality: Omit<AsofCondition, "keys"> | undefined;
  for (const c of conjuncts(on)) {
    if (c.kind !== "call" || c.args.length !== 2) throw refuse();
    const [a, b] = c.args;
    const [sa, sb] = [side(a), side(b)];
    if (!(sa === "left" && sb === "right") && !(sa === "right" && sb === "left")) throw refuse();
    const [l, r] = sa === "left" ? [a, b] : [b, a];
    if (c.fn === "equal") {
      keys.push({ left: l, right: r });
      continue;
    }
    if (!["gt", "gte", "lt", "lte"].includes(c.fn) || inequality) throw refuse();
    // Read as `left OP right`: > and >= put the right value below the left one.
    const greater = c.fn === "gt" || c.fn === "gte";
    inequality = { left: l, right: r, inclusive: c.fn === "gte" || c.fn === "lte", rightBelow: greater === (sa === "left") };
  }
  if (!inequality) throw refuse();
  return { keys, ...inequality };
}
