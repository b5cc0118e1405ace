// Logical plan → Substrait Plan. Column ids become positions here: every relation's output
// is a list of ids, and a reference is the id's index in the input of the relation that
// evaluates it (or, inside a subquery, in the input of an enclosing relation: an outer reference).
import {
  planpb,
  AggregateFunction_AggregationInvocation,
  AggregationPhase,
  Expression_Cast_FailureBehavior,
  Expression_Subquery_SetPredicate_PredicateOp,
  Expression_WindowFunction_BoundsType,
  JoinRel_JoinType,
  PLAN_DETAIL_TYPE_URLS,
  PRODUCER,
  SetRel_SetOp,
  SortField_SortDirection,
  Type_Nullability,
  SUBSTRAIT_VERSION,
  extensionUrn,
  type AggregateFunction,
  type Expression,
  type Expression_Literal,
  type Expression_WindowFunction_Bound,
  type ExtensionFile,
  JSON_TYPE_VARIATION,
  TRUSTQL_EXTENSIONS,
  type FunctionArgument,
  type FunctionOption,
  type NamedStruct,
  namedStructOf,
  type Expression_ReferenceSegment,
  type Plan,
  type Rel,
  type SimpleExtensionDeclaration,
  type SimpleExtensionURN,
  type SortField,
} from "../../proto/index.ts";
import { UnsupportedError, invariant } from "../../common/errors.ts";
import { uuidBytes } from "../../common/uuid.ts";
import { aggregateFunction, scalarFunction, windowFunction, type FunctionRef } from "../functions.ts";
import {
  STRUCT_FIELD,
  STRUCT_PACK,
  type AggregateCall,
  type AggregatePhase,
  type ColumnId,
  type Expr,
  type FrameBound,
  type ColumnDef,
  type IntervalValue,
  type LogicalPlan,
  type SetOpKind,
  type SortKey,
  type WindowCall,
  type WindowFrame,
} from "../logical.ts";
import { aggregateArguments, joinColumns, outputColumns } from "../plan-utils.ts";
import { NANOSECOND_PRECISION, TIMESTAMP_PRECISION, structFieldNames, toSubstraitType, type, type SqlType } from "../types.ts";

/** Columns as a relation's schema (names, struct field names depth first, and types). */
export function namedStruct(columns: readonly ColumnDef[]): NamedStruct {
  return namedStructOf(columns.map((c) => ({ name: c.name, type: toSubstraitType(c.type), fieldNames: structFieldNames(c.type) })));
}

/** Whether any type within a message (a plan's relations, as plain objects) names the type variation `anchor`. */
function holdsTypeVariation(message: unknown, anchor: number): boolean {
  if (message === null || typeof message !== "object" || ArrayBuffer.isView(message)) return false;
  if (Array.isArray(message)) return message.some((m) => holdsTypeVariation(m, anchor));
  return Object.entries(message).some(([key, value]) => (key === "typeVariationReference" ? value === anchor : holdsTypeVariation(value, anchor)));
}

/** A relation's output as column ids, in position order. */
type Columns = readonly ColumnId[];

export function emitPlan(plan: LogicalPlan, names: readonly string[]): Plan {
  const emitter = new Emitter();
  const root = emitter.rel(plan, []);
  invariant(root.columns.length === names.length, `plan has ${root.columns.length} columns for ${names.length} names`);
  // A root's names are depth first, as a NamedStruct's: each column's, then its struct fields'.
  const types = outputColumns(plan).map((c) => c.type);
  const relations = [{ root: { input: root.rel, names: names.flatMap((name, i) => [name, ...structFieldNames(types[i])]) } }];
  // JSON's strings name their type variation: declared (trustql_functions_scalar.yaml) where the plan holds one.
  if (holdsTypeVariation(relations, JSON_TYPE_VARIATION)) {
    emitter.declarations.push({ extensionTypeVariation: { extensionUriReference: 0, extensionUrnReference: emitter.urnAnchor(TRUSTQL_EXTENSIONS.scalar), typeVariationAnchor: JSON_TYPE_VARIATION, name: "json" } });
  }
  const emitted: Plan = {
    version: { ...SUBSTRAIT_VERSION, gitHash: "", producer: PRODUCER },
    extensionUris: [],
    extensionUrns: emitter.urns,
    extensions: emitter.declarations,
    relations,
    expectedTypeUrls: [...emitter.typeUrls],
  };
  return emitted;
}

/**
 * The deepest nesting of messages a plan sent to other nodes may have: protobuf decoders stop at
 * 100 (ts-proto's, which every node reads tasks with, and protobuf's own by default).
 */
export const MAX_PLAN_MESSAGE_DEPTH = 90;

/** `plan`, if a decoder reads it (a stage's plan, sent to the nodes that run it); refused otherwise. */
export function decodable(plan: Plan): Plan {
  const depth = messageDepth(plan);
  if (depth > MAX_PLAN_MESSAGE_DEPTH) throw new UnsupportedError(`an expression nested too deeply: its plan is ${depth} messages deep, past the ${MAX_PLAN_MESSAGE_DEPTH} protobuf decoders read (write it in steps, through a subquery or a CTE)`);
  return plan;
}

/** How deeply a decoded message nests messages (each JS object of it one; lists and bytes none). */
function messageDepth(root: object): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth]);
    } else if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
      deepest = Math.max(deepest, depth);
      for (const child of Object.values(value)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/**
 * A struct's field (STRUCT_FIELD's position from 1): a reference segment after the struct's own
 * reference when it is one (a column's field, a field's field), else a reference into the value.
 */
function structFieldReference(struct: Expression, position: Expr): Expression {
  invariant(position.kind === "literal" && typeof position.value === "number", "a struct field's position is a literal");
  const segment: Expression_ReferenceSegment = { structField: { field: position.value - 1 } };
  const reference = struct.selection?.directReference;
  if (reference) {
    let last = reference;
    while (last.structField?.child) last = last.structField.child;
    if (last.structField) return { selection: { ...struct.selection, directReference: withChild(reference, segment) } };
  }
  return { selection: { expression: struct, directReference: segment } };
}

/** A reference's segments with `child` after the last. */
function withChild(segment: Expression_ReferenceSegment, child: Expression_ReferenceSegment): Expression_ReferenceSegment {
  invariant(segment.structField !== undefined, "only struct field segments are chained here");
  const inner = segment.structField.child;
  return { structField: { field: segment.structField.field, child: inner ? withChild(inner, child) : child } };
}

const JOIN_TYPES = {
  inner: JoinRel_JoinType.JOIN_TYPE_INNER,
  left: JoinRel_JoinType.JOIN_TYPE_LEFT,
  right: JoinRel_JoinType.JOIN_TYPE_RIGHT,
  full: JoinRel_JoinType.JOIN_TYPE_OUTER,
  semi: JoinRel_JoinType.JOIN_TYPE_LEFT_SEMI,
  anti: JoinRel_JoinType.JOIN_TYPE_LEFT_ANTI,
} as const;

const SET_OPS: Record<SetOpKind, SetRel_SetOp> = {
  union: SetRel_SetOp.SET_OP_UNION_DISTINCT,
  union_all: SetRel_SetOp.SET_OP_UNION_ALL,
  intersect: SetRel_SetOp.SET_OP_INTERSECTION_MULTISET,
  intersect_all: SetRel_SetOp.SET_OP_INTERSECTION_MULTISET_ALL,
  except: SetRel_SetOp.SET_OP_MINUS_PRIMARY,
  except_all: SetRel_SetOp.SET_OP_MINUS_PRIMARY_ALL,
};

const PHASES: Record<AggregatePhase, AggregationPhase> = {
  single: AggregationPhase.AGGREGATION_PHASE_INITIAL_TO_RESULT,
  partial: AggregationPhase.AGGREGATION_PHASE_INITIAL_TO_INTERMEDIATE,
  final: AggregationPhase.AGGREGATION_PHASE_INTERMEDIATE_TO_RESULT,
};

/** A column id that no expression refers to (the placeholder column of a one-row VALUES). */
const PLACEHOLDER = -1;

class Emitter {
  readonly urns: SimpleExtensionURN[] = [];
  readonly declarations: SimpleExtensionDeclaration[] = [];
  readonly typeUrls = new Set<string>();
  readonly #urnAnchors = new Map<ExtensionFile, number>();
  readonly #functionAnchors = new Map<string, number>();

  functionAnchor(ref: FunctionRef): number {
    const key = `${ref.file}/${ref.signature}`;
    let anchor = this.#functionAnchors.get(key);
    if (anchor !== undefined) return anchor;
    const urnAnchor = this.urnAnchor(ref.file);
    anchor = this.#functionAnchors.size + 1;
    this.#functionAnchors.set(key, anchor);
    this.declarations.push({
      extensionFunction: { extensionUriReference: 0, extensionUrnReference: urnAnchor, functionAnchor: anchor, name: ref.signature },
    });
    return anchor;
  }

  /** The anchor of an extension file's URN, declared the first time it is asked for. */
  urnAnchor(file: ExtensionFile): number {
    let anchor = this.#urnAnchors.get(file);
    if (anchor === undefined) {
      anchor = this.#urnAnchors.size + 1;
      this.#urnAnchors.set(file, anchor);
      this.urns.push({ extensionUrnAnchor: anchor, urn: extensionUrn(file) });
    }
    return anchor;
  }

  /** `outer`: the inputs of the relations enclosing each subquery boundary, innermost last. */
  rel(plan: LogicalPlan, outer: readonly Columns[]): { rel: Rel; columns: Columns } {
    switch (plan.kind) {
      case "scan": {
        const base = plan.allColumns.map((c) => c.id);
        const filter = plan.filters.length > 0 ? this.expr(andAll(plan.filters), base, outer) : undefined;
        return {
          rel: {
            read: {
              baseSchema: plan.table.schema,
              namedTable: { names: [...plan.table.names] },
              filter,
              projection: {
                select: { structItems: plan.fieldIndexes.map((field) => ({ field })) },
                maintainSingularStruct: false,
              },
            },
          },
          columns: plan.columns.map((c) => c.id),
        };
      }
      case "values": {
        // A relation needs at least one column; a FROM-less SELECT reads one placeholder.
        const columns = plan.columns.length > 0 ? plan.columns : [{ id: PLACEHOLDER, name: "placeholder", type: type("i32", false) }];
        const rows = plan.rows.map((row) => (plan.columns.length > 0 ? row : [{ kind: "literal", value: 0, type: type("i32", false) } as Expr]));
        return {
          rel: {
            read: {
              baseSchema: namedStruct(columns),
              virtualTable: { values: [], expressions: rows.map((r) => ({ fields: r.map((e) => this.expr(e, [], outer)) })) },
            },
          },
          columns: columns.map((c) => c.id),
        };
      }
      case "filter": {
        const input = this.rel(plan.input, outer);
        return { rel: { filter: { input: input.rel, condition: this.expr(plan.predicate, input.columns, outer) } }, columns: input.columns };
      }
      case "project": {
        const input = this.rel(plan.input, outer);
        const expressions: Expression[] = [];
        const mapping: number[] = [];
        for (const o of plan.outputs) {
          const passthrough = o.expr.kind === "column" ? input.columns.indexOf(o.expr.id) : -1;
          if (passthrough >= 0) mapping.push(passthrough);
          else {
            mapping.push(input.columns.length + expressions.length);
            expressions.push(this.expr(o.expr, input.columns, outer));
          }
        }
        return {
          rel: { project: { common: { emit: { outputMapping: mapping } }, input: input.rel, expressions } },
          columns: plan.outputs.map((o) => o.column.id),
        };
      }
      case "join": {
        const left = this.rel(plan.left, outer);
        const right = this.rel(plan.right, outer);
        const all = joinColumns(plan).map((c) => c.id);
        const direct = [...left.columns, ...right.columns];
        const produced = plan.joinType === "semi" || plan.joinType === "anti" ? left.columns : direct;
        // A FROM-less side reads one placeholder column the logical plan does not have.
        const visible = produced.filter((id) => id !== PLACEHOLDER);
        invariant(visible.length === all.length, "join output does not match its inputs");
        const kept = plan.emit ?? (visible.length < produced.length ? visible : undefined);
        const emit = kept ? { outputMapping: kept.map((id) => indexOf(produced, id)) } : undefined;
        const common = emit ? { emit } : undefined;
        const columns = kept ?? produced;
        if (!plan.condition) {
          invariant(plan.joinType === "inner", "only inner joins may lack a condition");
          return { rel: { cross: { common, left: left.rel, right: right.rel } }, columns };
        }
        return {
          rel: {
            join: {
              common,
              left: left.rel,
              right: right.rel,
              expression: this.expr(plan.condition, direct, outer),
              type: JOIN_TYPES[plan.joinType],
            },
          },
          columns,
        };
      }
      case "aggregate": {
        const input = this.rel(plan.input, outer);
        const groupingExpressions = plan.groups.map((g) => this.expr(g.expr, input.columns, outer));
        return {
          rel: {
            aggregate: {
              input: input.rel,
              groupingExpressions,
              // No grouping set is a global aggregate; without measures the spec wants the empty set spelled out.
              groupings:
                plan.groups.length > 0 || plan.measures.length === 0
                  ? [{ groupingExpressions: [], expressionReferences: plan.groups.map((_, i) => i) }]
                  : [],
              measures: plan.measures.map((m) => ({ measure: this.aggregate(m.call, plan.phase, input.columns, outer) })),
            },
          },
          columns: [...plan.groups.map((g) => g.column.id), ...plan.measures.map((m) => m.column.id)],
        };
      }
      case "window": {
        // Window functions as expressions of a projection (as Isthmus writes them).
        const input = this.rel(plan.input, outer);
        const expressions = plan.functions.map((f) => ({ windowFunction: this.window(f.call, input.columns, outer) }));
        return {
          rel: { project: { input: input.rel, expressions } },
          columns: [...input.columns, ...plan.functions.map((f) => f.column.id)],
        };
      }
      case "sort": {
        const input = this.rel(plan.input, outer);
        return { rel: { sort: { input: input.rel, sorts: plan.keys.map((k) => this.sortField(k, input.columns, outer)) } }, columns: input.columns };
      }
      case "limit": {
        const input = this.rel(plan.input, outer);
        const i64 = (n: number): Expression => ({ literal: { i64: BigInt(n), nullable: false, typeVariationReference: 0 } });
        return {
          rel: {
            fetch: {
              input: input.rel,
              offsetExpr: plan.offset > 0 ? i64(plan.offset) : undefined,
              countExpr: plan.count !== undefined ? i64(plan.count) : undefined,
            },
          },
          columns: input.columns,
        };
      }
      case "set": {
        const inputs = plan.inputs.map((p) => this.rel(p, outer));
        return { rel: { set: { inputs: inputs.map((i) => i.rel), op: SET_OPS[plan.op] } }, columns: plan.columns.map((c) => c.id) };
      }
      case "recursive": {
        const inputs = [this.rel(plan.anchor, outer).rel, this.rel(plan.step, outer).rel];
        const detail = { typeUrl: this.#typeUrl("recursiveUnion"), value: planpb.RecursiveUnion.encode({ workingTable: plan.workingTable, all: plan.all }).finish() };
        return { rel: { extensionMulti: { inputs, detail } }, columns: plan.columns.map((c) => c.id) };
      }
      case "unnest": {
        // The list goes last in its input, as the relation reads it (proto/trustql/plan.proto).
        const input = this.rel(plan.input, outer);
        const listed: Rel = {
          project: {
            common: { emit: { outputMapping: [...input.columns.keys(), input.columns.length] } },
            input: input.rel,
            expressions: [this.expr(plan.list, input.columns, outer)],
          },
        };
        const detail = { typeUrl: this.#typeUrl("unnest"), value: planpb.Unnest.encode({}).finish() };
        // A FROM-less input's placeholder column is not the plan's.
        const produced = [...input.columns, plan.column.id];
        const columns = produced.filter((id) => id !== PLACEHOLDER);
        const common = columns.length < produced.length ? { emit: { outputMapping: columns.map((id) => indexOf(produced, id)) } } : undefined;
        return { rel: { extensionSingle: { common, input: listed, detail } }, columns };
      }
      case "working_table": {
        const detail = { typeUrl: this.#typeUrl("workingTable"), value: planpb.WorkingTable.encode({ name: plan.name, schema: namedStruct(plan.columns) }).finish() };
        return { rel: { extensionLeaf: { detail } }, columns: plan.columns.map((c) => c.id) };
      }
    }
  }

  /** An extension relation's detail type, listed in the plan's expected type URLs. */
  #typeUrl(detail: keyof typeof PLAN_DETAIL_TYPE_URLS): string {
    const url = PLAN_DETAIL_TYPE_URLS[detail];
    this.typeUrls.add(url);
    return url;
  }

  sortField(k: SortKey, input: Columns, outer: readonly Columns[]): SortField {
    const direction = k.descending
      ? k.nullsFirst
        ? SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_FIRST
        : SortField_SortDirection.SORT_DIRECTION_DESC_NULLS_LAST
      : k.nullsFirst
        ? SortField_SortDirection.SORT_DIRECTION_ASC_NULLS_FIRST
        : SortField_SortDirection.SORT_DIRECTION_ASC_NULLS_LAST;
    return { expr: this.expr(k.expr, input, outer), direction };
  }

  aggregate(call: AggregateCall, phase: AggregatePhase, input: Columns, outer: readonly Columns[]): AggregateFunction {
    const { values, sortKeys } = aggregateArguments(call);
    const ref = aggregateFunction(call.fn, call.implementationArgs ?? values.map((a) => a.type));
    return {
      functionReference: this.functionAnchor(ref),
      arguments: values.map((a) => ({ value: this.expr(a, input, outer) })),
      options: optionsOf(ref),
      outputType: toSubstraitType(call.type),
      phase: PHASES[phase],
      sorts: sortKeys.map((k) => this.sortField(k, input, outer)),
      invocation: call.distinct
        ? AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_DISTINCT
        : AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_ALL,
      args: [],
    };
  }

  window(call: WindowCall, input: Columns, outer: readonly Columns[]) {
    const bound = (b: FrameBound): Expression_WindowFunction_Bound => {
      switch (b.kind) {
        case "unbounded":
          return { unbounded: {} };
        case "current":
          return { currentRow: {} };
        case "preceding":
          return { preceding: { offset: BigInt(b.offset) } };
        case "following":
          return { following: { offset: BigInt(b.offset) } };
      }
    };
    // SQL's default frame: the whole partition without ORDER BY, else up to the current row's peers.
    const frame = call.frame ?? {
      unit: "range" as const,
      lower: { kind: "unbounded" as const },
      upper: call.orderBy.length > 0 ? { kind: "current" as const } : { kind: "unbounded" as const },
    };
    const ref = windowFunction(call.fn, call.args.map((a) => a.type), call.ignoreNulls);
    return {
      functionReference: this.functionAnchor(ref),
      arguments: call.args.map((a) => ({ value: this.expr(a, input, outer) })),
      options: [...optionsOf(ref), ...frameOptions(frame)],
      outputType: toSubstraitType(call.type),
      phase: AggregationPhase.AGGREGATION_PHASE_INITIAL_TO_RESULT,
      sorts: call.orderBy.map((k) => this.sortField(k, input, outer)),
      invocation: call.distinct ? AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_DISTINCT : AggregateFunction_AggregationInvocation.AGGREGATION_INVOCATION_ALL,
      partitions: call.partitionBy.map((p) => this.expr(p, input, outer)),
      boundsType: BOUNDS_TYPES[frame.unit],
      lowerBound: bound(frame.lower),
      upperBound: bound(frame.upper),
      args: [],
    };
  }

  expr(e: Expr, input: Columns, outer: readonly Columns[]): Expression {
    switch (e.kind) {
      case "column": {
        const position = input.indexOf(e.id);
        if (position >= 0) {
          return { selection: { directReference: { structField: { field: position } }, rootReference: {} } };
        }
        for (let steps = 1; steps <= outer.length; steps++) {
          const p = outer[outer.length - steps].indexOf(e.id);
          if (p >= 0) return { selection: { directReference: { structField: { field: p } }, outerReference: { stepsOut: steps } } };
        }
        throw new Error(`column #${e.id} is not in scope`);
      }
      case "literal":
        return { literal: literalOf(e.value, e.type) };
      case "call": {
        if (e.fn === STRUCT_PACK) return { nested: { struct: { fields: e.args.map((a) => this.expr(a, input, outer)) }, nullable: false, typeVariationReference: 0 } };
        if (e.fn === STRUCT_FIELD) return structFieldReference(this.expr(e.args[0], input, outer), e.args[1]);
        const ref = scalarFunction(e.fn, e.args.map((a) => a.type), e.enumArgs?.length ?? 0);
        const args: FunctionArgument[] = [
          ...(e.enumArgs ?? []).map((value) => ({ enum: value })),
          ...e.args.map((a) => ({ value: this.expr(a, input, outer) })),
        ];
        return {
          scalarFunction: { functionReference: this.functionAnchor(ref), arguments: args, options: optionsOf(ref), outputType: toSubstraitType(e.type), args: [] },
        };
      }
      case "cast":
        return {
          cast: {
            type: toSubstraitType(e.type),
            input: this.expr(e.input, input, outer),
            failureBehavior: e.try ? Expression_Cast_FailureBehavior.FAILURE_BEHAVIOR_RETURN_NULL : Expression_Cast_FailureBehavior.FAILURE_BEHAVIOR_THROW_EXCEPTION,
          },
        };
      case "case":
        return {
          ifThen: {
            ifs: e.whens.map((w) => ({ if: this.expr(w.when, input, outer), then: this.expr(w.then, input, outer) })),
            else: e.otherwise ? this.expr(e.otherwise, input, outer) : { literal: literalOf(null, e.type) },
          },
        };
      case "in_list":
        return { singularOrList: { value: this.expr(e.value, input, outer), options: e.list.map((x) => this.expr(x, input, outer)) } };
      case "subquery": {
        const inner = this.rel(e.plan, [...outer, input]);
        switch (e.op) {
          case "scalar":
            return { subquery: { scalar: { input: inner.rel } } };
          case "exists":
            return {
              subquery: { setPredicate: { predicateOp: Expression_Subquery_SetPredicate_PredicateOp.PREDICATE_OP_EXISTS, tuples: inner.rel } },
            };
          case "in":
            return { subquery: { inPredicate: { needles: [this.expr(e.needle!, input, outer)], haystack: inner.rel } } };
        }
        break;
      }
      case "lambda":
        return {
          lambda: {
            parameters: { types: e.params.map((p) => toSubstraitType(p.type)), typeVariationReference: 0, nullability: Type_Nullability.NULLABILITY_REQUIRED },
            body: this.expr(e.body, input, outer),
          },
        };
      case "lambda_parameter":
        return { selection: { directReference: { structField: { field: e.index } }, lambdaParameterReference: { stepsOut: e.stepsOut } } };
      case "aggregate":
      case "window":
        throw new Error(`${e.kind} expression left in a plan`);
    }
    throw new Error("unreachable");
  }
}

function indexOf(columns: Columns, id: ColumnId): number {
  const i = columns.indexOf(id);
  invariant(i >= 0, `column #${id} is not produced`);
  return i;
}

function andAll(parts: readonly Expr[]): Expr {
  return parts.length === 1 ? parts[0] : { kind: "call", fn: "and", args: parts, type: type("boolean", parts.some((p) => p.type.nullable)) };
}

/** 16 bytes, little-endian two's complement: Substrait's decimal literal. */
export function decimalBytes(unscaled: bigint): Uint8Array {
  const bytes = new Uint8Array(16);
  let v = BigInt.asUintN(128, unscaled);
  for (let i = 0; i < 16; i++) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

export function literalOf(value: unknown, t: SqlType): Expression_Literal {
  const base = { nullable: t.nullable, typeVariationReference: 0 };
  if (value === null) return { ...base, nullable: true, null: toSubstraitType({ ...t, nullable: true }) };
  switch (t.kind) {
    case "boolean":
      return { ...base, boolean: Boolean(value) };
    case "i8":
      return { ...base, i8: Number(value) };
    case "i16":
      return { ...base, i16: Number(value) };
    case "i32":
      return { ...base, i32: Number(value) };
    case "i64":
      return { ...base, i64: BigInt(value as number | bigint) };
    case "fp32":
      return { ...base, fp32: Number(value) };
    case "fp64":
      return { ...base, fp64: Number(value) };
    case "decimal":
      return { ...base, decimal: { value: decimalBytes(BigInt(value as bigint)), precision: t.precision!, scale: t.scale! } };
    case "string":
      return { ...base, ...(t.json ? { typeVariationReference: JSON_TYPE_VARIATION } : {}), string: String(value) };
    case "date":
      return { ...base, date: Number(value) };
    case "timestamp":
      return { ...base, precisionTimestamp: { precision: TIMESTAMP_PRECISION, value: BigInt(value as bigint) } };
    case "time":
      return { ...base, precisionTime: { precision: TIMESTAMP_PRECISION, value: BigInt(value as bigint) } };
    case "timestamp_tz":
      return { ...base, precisionTimestampTz: { precision: TIMESTAMP_PRECISION, value: BigInt(value as bigint) } };
    case "timestamp_ns":
      return { ...base, precisionTimestamp: { precision: NANOSECOND_PRECISION, value: BigInt(value as bigint) } };
    case "uuid":
      return { ...base, uuid: uuidBytes(String(value)) };
    case "interval_year": {
      const v = value as IntervalValue;
      return { ...base, intervalYearToMonth: { years: Math.trunc(v.months / 12), months: v.months % 12 } };
    }
    case "interval_day": {
      const v = value as IntervalValue;
      const seconds = v.micros / 1_000_000n;
      return {
        ...base,
        intervalDayToSecond: { days: v.days, seconds: Number(seconds), subseconds: v.micros % 1_000_000n, precision: TIMESTAMP_PRECISION },
      };
    }
    case "interval_compound": {
      const v = value as IntervalValue;
      const { intervalYearToMonth } = literalOf({ ...v, days: 0, micros: 0n }, { ...t, kind: "interval_year" });
      const { intervalDayToSecond } = literalOf({ ...v, months: 0 }, { ...t, kind: "interval_day" });
      return { ...base, intervalCompound: { intervalYearToMonth, intervalDayToSecond } };
    }
    default:
      throw new Error(`no literal of type ${t.kind}`);
  }
}

function optionsOf(ref: FunctionRef): FunctionOption[] {
  return Object.entries(ref.options ?? {}).map(([name, value]) => ({ name, preference: [value] }));
}

/**
 * Substrait's BoundsType has ROWS and RANGE only. A GROUPS frame's bounds type is left
 * UNSPECIFIED, so that a consumer that does not read its frame_unit option (frameOptions) cannot
 * take its offsets for rows.
 */
const BOUNDS_TYPES: Record<WindowFrame["unit"], Expression_WindowFunction_BoundsType> = {
  rows: Expression_WindowFunction_BoundsType.BOUNDS_TYPE_ROWS,
  range: Expression_WindowFunction_BoundsType.BOUNDS_TYPE_RANGE,
  groups: Expression_WindowFunction_BoundsType.BOUNDS_TYPE_UNSPECIFIED,
};

/**
 * What of a frame Substrait's WindowFunction has no field for, as trustql's own options of the
 * call (proto/extensions/trustql_functions_aggregate.yaml describes them): frame_unit GROUPS
 * (offsets count peer groups) and frame_exclusion CURRENT_ROW | GROUP | TIES (EXCLUDE …).
 */
function frameOptions(frame: WindowFrame): FunctionOption[] {
  const options: FunctionOption[] = [];
  if (frame.unit === "groups") options.push({ name: "frame_unit", preference: ["GROUPS"] });
  if (frame.exclude) options.push({ name: "frame_exclusion", preference: [frame.exclude.toUpperCase()] });
  return options;
}
