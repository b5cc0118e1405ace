// Substrait expressions as DuckDB SQL over a scope of input columns. Field references are
// positional; outer references (correlated subqueries) count scopes outward with steps_out.
import {
  AggregateFunction_AggregationInvocation,
  Expression_Cast_FailureBehavior,
  Expression_Subquery_SetComparison_ComparisonOp,
  Expression_Subquery_SetComparison_ReductionOp,
  Expression_Subquery_SetPredicate_PredicateOp,
  Expression_WindowFunction_BoundsType,
  SortField_SortDirection,
  type Expression,
  type Expression_WindowFunction_Bound,
  type FunctionArgument,
  type FunctionOption,
  type Rel,
  type SortField,
  type Type,
  type AggregationPhase,
  type Expression_ReferenceSegment_StructField,
  Type_Nullability,
  fieldNameCount,
} from "../../proto/index.ts";
import { UnsupportedError, UserError } from "../../common/errors.ts";
import { duckdbTypeFromSubstrait } from "../types.ts";
import type { FunctionDeclarations } from "./extensions.ts";
import { BOOLEAN_FUNCTIONS, NULLS_IGNORABLE, isRankingWindow, optionMap, renderScalar, windowName } from "./functions.ts";
import { literalSql, literalType, structPack } from "./literals.ts";
import { WITH_FIELD_NAMES, asNamedOutput, asRunAggregate } from "./structs.ts";

/** The columns an expression can see: SQL that refers to each, and its type when known. */
export interface Scope {
  refs: readonly string[];
  types: readonly (Type | undefined)[];
  /** Inside lambdas' bodies: each enclosing lambda's parameters, innermost last. */
  lambdas?: readonly Scope[];
}

/** Lambdas nested deeper than this are refused: a plan is a message of bounded size. */
const MAX_LAMBDA_DEPTH = 16;

/** A relation translated to SQL whose output columns are named c0, c1, … */
export interface RelSql {
  sql: string;
  types: (Type | undefined)[];
}

export type RelWriter = (rel: Rel, outer: readonly Scope[]) => RelSql;

export function castTo(sql: string, type: Type | undefined): string {
  return type ? `CAST(${sql} AS ${duckdbTypeFromSubstrait(type)})` : sql;
}

/** Value arguments, whether in `arguments` (current) or the deprecated `args`. */
export function valueArguments(args: readonly FunctionArgument[], deprecated: readonly Expression[]): Expression[] {
  const values = args.filter((a) => a.value !== undefined).map((a) => a.value!);
  return values.length > 0 ? values : [...deprecated];
}

function enumArguments(args: readonly FunctionArgument[]): string[] {
  return args.filter((a) => a.enum !== undefined).map((a) => a.enum!);
}

function rejectUnknownOptions(options: readonly FunctionOption[], declared: string): void {
  // Options such as overflow or rounding only choose among behaviours DuckDB's defaults cover
  // for the plans we accept; a preference list we could not honour is refused by name.
  for (const option of options) {
    if (option.name.toUpperCase() === "NULL_HANDLING" && !option.preference.some((p) => /^(ACCEPT_NULLS|IGNORE_NULLS)$/i.test(p))) {
      throw new UnsupportedError(`option ${option.name}=${option.preference.join("|")} of ${declared}`);
    }
  }
}

/** The field a reference segment picks within a struct value, and those it picks within that, in turn. */
function structFields(value: { sql: string; type: Type | undefined }, segment: Expression_ReferenceSegment_StructField): { sql: string; type: Type | undefined } {
  let { sql, type } = value;
  for (let at: Expression_ReferenceSegment_StructField | undefined = segment; at; at = at.child?.structField) {
    const fields = type?.struct?.types;
    if (type && !fields) throw new UserError(`a reference to field ${at.field} of a value that is no struct`);
    if (fields && (at.field < 0 || at.field >= fields.length)) throw new UserError(`a reference to field ${at.field} of a struct of ${fields.length}`);
    sql = `struct_extract_at(${sql}, ${at.field + 1})`;
    type = fields?.[at.field];
    if (at.child && !at.child.structField) throw new UnsupportedError("a reference into a list or map element");
  }
  return { sql, type };
}

export class ExpressionWriter {
  readonly #functions: FunctionDeclarations;
  readonly #writeRel: RelWriter;

  constructor(functions: FunctionDeclarations, writeRel: RelWriter) {
    this.#functions = functions;
    this.#writeRel = writeRel;
  }

  write(e: Expression, scope: Scope, outer: readonly Scope[]): string {
    const write = (x: Expression) => this.write(x, scope, outer);
    if (e.selection) return this.#reference(e, scope, outer).sql;
    if (e.literal) return literalSql(e.literal);
    if (e.scalarFunction) {
      const f = e.scalarFunction;
      const fn = this.#functions.get(f.functionReference);
      rejectUnknownOptions(f.options, fn.declared);
      if (fn.name === WITH_FIELD_NAMES) return this.#withFieldNames(valueArguments(f.arguments, f.args), f.outputType, scope, outer);
      const args = valueArguments(f.arguments, f.args).map(write);
      const text = renderScalar(fn.name, args, { enums: enumArguments(f.arguments), outputType: f.outputType, declared: fn.declared, options: optionMap(f.options) });
      // DuckDB drops a cast to the type a value already has, so this costs nothing when the
      // producer declared what DuckDB infers, and makes other producers' types hold.
      return BOOLEAN_FUNCTIONS.has(fn.name) ? text : castTo(text, f.outputType);
    }
    if (e.windowFunction) return this.#window(e, scope, outer);
    if (e.cast) {
      if (!e.cast.type || !e.cast.input) throw new UserError("cast without a type or an input");
      const tryCast = e.cast.failureBehavior === Expression_Cast_FailureBehavior.FAILURE_BEHAVIOR_RETURN_NULL;
      return `${tryCast ? "TRY_CAST" : "CAST"}(${write(e.cast.input)} AS ${duckdbTypeFromSubstrait(e.cast.type)})`;
    }
    if (e.ifThen) {
      const branches = e.ifThen.ifs.map((c) => `WHEN ${write(required(c.if, "if"))} THEN ${write(required(c.then, "then"))}`);
      const otherwise = e.ifThen.else ? ` ELSE ${write(e.ifThen.else)}` : "";
      return `(CASE ${branches.join(" ")}${otherwise} END)`;
    }
    if (e.switchExpression) {
      const s = e.switchExpression;
      const branches = s.ifs.map((c) => `WHEN ${literalSql(required(c.if, "switch value"))} THEN ${write(required(c.then, "then"))}`);
      const otherwise = s.else ? ` ELSE ${write(s.else)}` : "";
      return `(CASE ${write(required(s.match, "switch match"))} ${branches.join(" ")}${otherwise} END)`;
    }
    if (e.singularOrList) {
      const options = e.singularOrList.options.map(write);
      if (options.length === 0) return "FALSE";
      return `(${write(required(e.singularOrList.value, "IN value"))} IN (${options.join(", ")}))`;
    }
    if (e.multiOrList) {
      const value = `(${e.multiOrList.value.map(write).join(", ")})`;
      const options = e.multiOrList.options.map((o) => `(${o.fields.map(write).join(", ")})`);
      return options.length === 0 ? "FALSE" : `(${value} IN (${options.join(", ")}))`;
    }
    if (e.subquery) return this.#subquery(e, scope, outer);
    if (e.nested?.struct) return structPack(e.nested.struct.fields.map(write));
    if (e.nested?.list) return `[${e.nested.list.values.map(write).join(", ")}]`;
    if (e.lambda) return this.#lambda(e, scope, outer);
    throw new UnsupportedError(`expression of kind ${kindOf(e)}`);
  }

  /** The type of an expression as the plan declares it, when the plan says. */
  typeOf(e: Expression, scope: Scope, outer: readonly Scope[]): Type | undefined {
    if (e.selection) return this.#reference(e, scope, outer).type;
    if (e.literal) return literalType(e.literal);
    if (e.scalarFunction) return e.scalarFunction.outputType;
    if (e.windowFunction) return e.windowFunction.outputType;
    if (e.cast) return e.cast.type;
    if (e.nested?.struct) {
      const types = e.nested.struct.fields.map((f) => this.typeOf(f, scope, outer));
      return types.every((t) => t !== undefined) ? { struct: { types: types as Type[], typeVariationReference: 0, nullability: Type_Nullability.NULLABILITY_NULLABLE } } : undefined;
    }
    if (e.ifThen) return e.ifThen.ifs[0]?.then ? this.typeOf(e.ifThen.ifs[0].then, scope, outer) : undefined;
    if (e.switchExpression) return e.switchExpression.ifs[0]?.then ? this.typeOf(e.switchExpression.ifs[0].then, scope, outer) : undefined;
    if (e.subquery?.scalar?.input) return this.#writeRel(e.subquery.scalar.input, [...outer, scope]).types[0];
    return undefined;
  }

  sortKey(sort: SortField, scope: Scope, outer: readonly Scope[]): string {
    const expression = this.write(required(sort.expr, "sort expression"), scope, outer);
    switch (sort.direction) {
      case SortField_SortDirection.SORT_DIRECTION_ASC_NULLS_FIRST:
        return `${expression} ASC NULLS FIRST`;
      case SortField_SortDirection.SORT_DIRECTION_ASC_NULLS_LAST:
      case SortField_SortDirection.SORT_DIRECTION_UNSPECIFIED:
      case undefined:
        return `${expression} ASC NULLS LAST`;
      case SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_FIRST:
        return `${expression} DESC NULLS FIRST`;
      case SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_LAST:
        return `${expression} DESC NULLS LAST`;
    }
    throw new UnsupportedError(`sort direction ${sort.direction}${sort.comparisonFunctionReference !== undefined ? " (custom comparison function)" : ""}`);
  }

  #reference(e: Expression, scope: Scope, outer: readonly Scope[]): { sql: string; type: Type | undefined } {
    const selection = e.selection!;
    const segment = selection.directReference?.structField;
    if (!segment) throw new UnsupportedError("field reference other than a direct struct field");
    if (selection.expression) {
      // A field of an expression's value: the segment picks a field of its struct.
      const value = { sql: this.write(selection.expression, scope, outer), type: this.typeOf(selection.expression, scope, outer) };
      return structFields(value, segment);
    }
    let target = scope;
    if (selection.lambdaParameterReference) {
      const steps = selection.lambdaParameterReference.stepsOut;
      const lambdas = scope.lambdas ?? [];
      const lambda = lambdas[lambdas.length - 1 - steps];
      if (!lambda) throw new UserError(`lambda parameter reference ${steps} lambdas out, but it is inside ${lambdas.length}`);
      target = lambda;
    } else if (selection.outerReference) {
      const steps = selection.outerReference.stepsOut;
      target = outer[outer.length - steps];
      if (steps < 1 || !target) throw new UserError(`outer reference ${steps} steps out, but only ${outer.length} enclosing queries`);
    }
    const sql = target.refs[segment.field];
    if (sql === undefined) throw new UserError(`field ${segment.field} out of range: the input has ${target.refs.length} columns`);
    const column = { sql, type: target.types[segment.field] };
    if (!segment.child) return column;
    if (!segment.child.structField) throw new UnsupportedError("a reference into a list or map element");
    return structFields(column, segment.child.structField);
  }

  /**
   * trustql's with_field_names(value, names…): the value with its structs' fields named so (depth
   * first) and its maps maps, as a plan's output has them, for what writes it as text or JSON.
   */
  #withFieldNames(args: readonly Expression[], declared: Type | undefined, scope: Scope, outer: readonly Scope[]): string {
    const [value, ...names] = args;
    if (!value) throw new UserError(`${WITH_FIELD_NAMES} without a value`);
    const type = declared ?? this.typeOf(value, scope, outer);
    if (!type) throw new UserError(`${WITH_FIELD_NAMES} of a value of no declared type`);
    const fieldNames = names.map((name) => {
      if (name.literal?.string === undefined) throw new UserError(`${WITH_FIELD_NAMES}'s names are string literals`);
      return name.literal.string;
    });
    if (fieldNames.length !== fieldNameCount(type)) throw new UserError(`${WITH_FIELD_NAMES} of ${fieldNames.length} names for a type of ${fieldNameCount(type)} struct fields`);
    return asNamedOutput(this.write(value, scope, outer), type, fieldNames);
  }

  /** DuckDB's `lambda p, q: body`, its parameters named by their depth (a column is always qualified: no name meets one). */
  #lambda(e: Expression, scope: Scope, outer: readonly Scope[]): string {
    const { parameters, body } = e.lambda!;
    const depth = scope.lambdas?.length ?? 0;
    if (depth >= MAX_LAMBDA_DEPTH) throw new UnsupportedError(`lambdas nested more than ${MAX_LAMBDA_DEPTH} deep`);
    const types = parameters?.types ?? [];
    if (types.length === 0) throw new UserError("a lambda without parameters");
    const names = types.map((_, i) => `lambda_${depth}_${i}`);
    const inner: Scope = { ...scope, lambdas: [...(scope.lambdas ?? []), { refs: names, types }] };
    return `(lambda ${names.join(", ")}: ${this.write(required(body, "lambda body"), inner, outer)})`;
  }

  #window(e: Expression, scope: Scope, outer: readonly Scope[]): string {
    const w = e.windowFunction!;
    const fn = this.#functions.get(w.functionReference);
    return this.windowCall({
      name: fn.name,
      declared: fn.declared,
      args: valueArguments(w.arguments, w.args).map((a) => this.write(a, scope, outer)),
      options: optionMap(w.options),
      distinct: w.invocation === AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_DISTINCT,
      phase: w.phase,
      partitions: w.partitions.map((p) => this.write(p, scope, outer)),
      sorts: w.sorts.map((s) => this.sortKey(s, scope, outer)),
      boundsType: w.boundsType,
      lower: w.lowerBound,
      upper: w.upperBound,
      outputType: w.outputType,
      rangeKey: this.rangeKey(w.boundsType, w.sorts, scope, outer),
    });
  }

  /** The type of a RANGE frame's one ORDER BY key (see WindowCall.rangeKey). */
  rangeKey(boundsType: number, sorts: readonly SortField[], scope: Scope, outer: readonly Scope[]): Type | undefined {
    const key = sorts.length === 1 ? sorts[0].expr : undefined;
    return boundsType === Expression_WindowFunction_BoundsType.BOUNDS_TYPE_RANGE && key ? this.typeOf(key, scope, outer) : undefined;
  }

  windowCall(w: WindowCall): string {
    const name = windowName(w.name, w.declared, w.options);
    if (w.phase === 1 || w.phase === 2 || w.phase === 4) throw new UnsupportedError(`window function ${w.declared} in an intermediate phase`);
    const over: string[] = [];
    if (w.partitions.length > 0) over.push(`PARTITION BY ${w.partitions.join(", ")}`);
    if (w.sorts.length > 0) over.push(`ORDER BY ${w.sorts.join(", ")}`);
    if (!isRankingWindow(w.name) && (w.lower || w.upper)) {
      const kind = frameUnit(w);
      const unit = w.rangeKey?.date ? "DAY" : w.rangeKey?.timestamp || w.rangeKey?.precisionTimestamp || w.rangeKey?.timestampTz || w.rangeKey?.precisionTimestampTz ? "MICROSECOND" : undefined;
      over.push(`${kind} BETWEEN ${bound(w.lower, "PRECEDING", unit)} AND ${bound(w.upper, w.sorts.length > 0 ? "CURRENT" : "FOLLOWING", unit)}${frameExclusion(w)}`);
    }
    const args = w.args.length === 0 && name === "count" ? "*" : `${w.distinct ? "DISTINCT " : ""}${w.args.join(", ")}`;
    const nulls = w.options?.get("NULL_HANDLING") ?? "RESPECT_NULLS";
    if (nulls !== "RESPECT_NULLS" && (nulls !== "IGNORE_NULLS" || !NULLS_IGNORABLE.has(w.name))) throw new UnsupportedError(`${w.declared} with null_handling ${nulls}`);
    const call = `${name}(${args}${nulls === "IGNORE_NULLS" ? " IGNORE NULLS" : ""}) OVER (${over.join(" ")})`;
    return castTo(asRunAggregate(name, call), w.outputType);
  }

  #subquery(e: Expression, scope: Scope, outer: readonly Scope[]): string {
    const s = e.subquery!;
    const nested = [...outer, scope];
    if (s.scalar) return `(SELECT c0 FROM (${this.#writeRel(required(s.scalar.input, "scalar subquery"), nested).sql}))`;
    if (s.inPredicate) {
      const haystack = this.#writeRel(required(s.inPredicate.haystack, "IN subquery"), nested);
      const needles = s.inPredicate.needles.map((n) => this.write(n, scope, outer));
      const columns = needles.map((_, i) => `c${i}`).join(", ");
      const left = needles.length === 1 ? needles[0] : `(${needles.join(", ")})`;
      return `(${left} IN (SELECT ${columns} FROM (${haystack.sql})))`;
    }
    if (s.setPredicate) {
      if (s.setPredicate.predicateOp !== Expression_Subquery_SetPredicate_PredicateOp.PREDICATE_OP_EXISTS) {
        throw new UnsupportedError("UNIQUE subquery predicate");
      }
      return `EXISTS (${this.#writeRel(required(s.setPredicate.tuples, "EXISTS subquery"), nested).sql})`;
    }
    if (s.setComparison) {
      const c = s.setComparison;
      const op = COMPARISONS[c.comparisonOp];
      const reduction =
        c.reductionOp === Expression_Subquery_SetComparison_ReductionOp.REDUCTION_OP_ANY
          ? "ANY"
          : c.reductionOp === Expression_Subquery_SetComparison_ReductionOp.REDUCTION_OP_ALL
            ? "ALL"
            : undefined;
      if (!op || !reduction) throw new UnsupportedError(`set comparison ${c.comparisonOp}/${c.reductionOp}`);
      const right = this.#writeRel(required(c.right, "set comparison subquery"), nested);
      return `(${this.write(required(c.left, "set comparison value"), scope, outer)} ${op} ${reduction} (SELECT c0 FROM (${right.sql})))`;
    }
    throw new UnsupportedError("subquery of an unknown kind");
  }
}

export interface WindowCall {
  name: string;
  declared: string;
  args: string[];
  options: ReadonlyMap<string, string>;
  distinct: boolean;
  phase: AggregationPhase;
  partitions: string[];
  sorts: string[];
  boundsType: number;
  lower: Expression_WindowFunction_Bound | undefined;
  upper: Expression_WindowFunction_Bound | undefined;
  outputType: Type | undefined;
  /** A RANGE frame's ORDER BY key's type: a DATE's offsets are days, a TIMESTAMP's microseconds. */
  rangeKey?: Type;
}

const COMPARISONS: Record<number, string> = {
  [Expression_Subquery_SetComparison_ComparisonOp.COMPARISON_OP_EQ]: "=",
  [Expression_Subquery_SetComparison_ComparisonOp.COMPARISON_OP_NE]: "<>",
  [Expression_Subquery_SetComparison_ComparisonOp.COMPARISON_OP_LT]: "<",
  [Expression_Subquery_SetComparison_ComparisonOp.COMPARISON_OP_GT]: ">",
  [Expression_Subquery_SetComparison_ComparisonOp.COMPARISON_OP_LE]: "<=",
  [Expression_Subquery_SetComparison_ComparisonOp.COMPARISON_OP_GE]: ">=",
};

/**
 * ROWS, RANGE or GROUPS: Substrait's bounds type has the first two; trustql's frame_unit option
 * says GROUPS (its bounds type then UNSPECIFIED; see trustql_functions_aggregate.yaml).
 */
function frameUnit(w: WindowCall): "ROWS" | "RANGE" | "GROUPS" {
  const option = w.options.get("FRAME_UNIT");
  if (option === "GROUPS") return "GROUPS";
  if (option !== undefined) throw new UnsupportedError(`option frame_unit=${option} of ${w.declared}`);
  return w.boundsType === Expression_WindowFunction_BoundsType.BOUNDS_TYPE_ROWS ? "ROWS" : "RANGE";
}

/** A frame's EXCLUDE clause, from trustql's frame_exclusion option (Substrait has no field for it). */
function frameExclusion(w: WindowCall): string {
  const option = w.options.get("FRAME_EXCLUSION");
  if (option === undefined) return "";
  const exclusion = FRAME_EXCLUSIONS[option];
  if (!exclusion) throw new UnsupportedError(`option frame_exclusion=${option} of ${w.declared}`);
  return ` EXCLUDE ${exclusion}`;
}

const FRAME_EXCLUSIONS: Record<string, string> = { CURRENT_ROW: "CURRENT ROW", GROUP: "GROUP", TIES: "TIES" };

/** A frame bound; `unit`: the offsets are of a RANGE frame over a DATE (DAY) or TIMESTAMP (MICROSECOND) key. */
function bound(b: Expression_WindowFunction_Bound | undefined, missing: "PRECEDING" | "FOLLOWING" | "CURRENT", unit?: "DAY" | "MICROSECOND"): string {
  if (!b) return missing === "CURRENT" ? "CURRENT ROW" : `UNBOUNDED ${missing}`;
  if (b.unbounded) return missing === "PRECEDING" ? "UNBOUNDED PRECEDING" : "UNBOUNDED FOLLOWING";
  if (b.currentRow) return "CURRENT ROW";
  const offset = (n: bigint) => (unit ? `INTERVAL (${n}) ${unit}` : `${n}`);
  if (b.preceding) return `${offset(b.preceding.offset)} PRECEDING`;
  if (b.following) return `${offset(b.following.offset)} FOLLOWING`;
  throw new UserError("window bound of no kind");
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new UserError(`plan is missing a ${what}`);
  return value;
}

export function kindOf(message: object): string {
  return Object.keys(message).filter((k) => (message as Record<string, unknown>)[k] !== undefined && k !== "_unknownFields").join(", ") || "(empty)";
}
