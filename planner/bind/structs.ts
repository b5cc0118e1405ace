// DuckDB's structs: `{'a': 1, 'b': x}`, struct_pack(a := 1), a field by `s.a`, `s['a']`,
// struct_extract and struct_extract_at, each typed as DuckDB types it. A struct's field names live
// in its type; the plan carries them where Substrait does (a relation's names), and runs structs
// by position (exec/substrait/structs.ts). DuckDB matches fields by name where structs meet (a
// comparison, a CASE, a UNION): here only structs of the same names, in the same order, meet, or
// an unnamed struct (`(a, b)`, row(a, b)) and any other of as many fields, field by field.
import { UnsupportedError, UserError, invariant, type SourcePosition } from "../../common/errors.ts";
import { STRUCT_FIELD, STRUCT_PACK, type Expr } from "../logical.ts";
import { fieldsOf, holdsStruct, isInteger, isUnnamedStruct, sameFieldNames, structOf, type, typeName, withNullable, type SqlType } from "../types.ts";
import { call, caseExpr, castTo, isNull } from "./operators.ts";
import { literal, nullLiteral } from "./literals.ts";

/** DuckDB allows this many fields in a struct; a plan is a message of bounded size. */
const MAX_STRUCT_FIELDS = 10_000;

/** A struct of names and values given in turn (the pre-pass writes `{'a': 1}` and `struct_pack(a := 1)` so). */
export function structPack(namesAndValues: readonly Expr[], position: SourcePosition | undefined): Expr {
  invariant(namesAndValues.length % 2 === 0, "a struct's names and values come in pairs");
  if (namesAndValues.length === 0) throw new UserError("a struct needs at least one field", position);
  if (namesAndValues.length / 2 > MAX_STRUCT_FIELDS) throw new UserError(`a struct of more than ${MAX_STRUCT_FIELDS} fields`, position);
  const names: string[] = [];
  const values: Expr[] = [];
  for (let i = 0; i < namesAndValues.length; i += 2) {
    const name = namesAndValues[i];
    invariant(name.kind === "literal" && typeof name.value === "string", "the pre-pass writes a struct field's name as a string");
    if (names.some((n) => n.toLowerCase() === (name.value as string).toLowerCase())) throw new UserError(`duplicate struct field name ${name.value}`, position);
    names.push(name.value as string);
    values.push(namesAndValues[i + 1]);
  }
  return call(STRUCT_PACK, values, structOf(names.map((name, i) => ({ name, type: values[i].type })), false));
}

/**
 * struct_insert(s, b := x, …): s's fields (NULL where s is), then the new ones; the result is
 * never NULL, as DuckDB's. A name s has already is DuckDB's error.
 */
export function structInsert(struct: Expr, namesAndValues: readonly Expr[], position: SourcePosition | undefined): Expr {
  if (struct.type.kind !== "struct") throw new UserError(`struct_insert needs a STRUCT, not ${typeName(struct.type)}`, position);
  const added = structPack(namesAndValues, position);
  const have = fieldsOf(struct.type);
  const fields = [...have, ...fieldsOf(added.type)];
  const clash = fieldsOf(added.type).find((f) => have.some((h) => h.name.toLowerCase() === f.name.toLowerCase()));
  if (clash) throw new UserError(`Duplicate struct entry name "${clash.name}"`, position);
  if (fields.length > MAX_STRUCT_FIELDS) throw new UserError(`a struct of more than ${MAX_STRUCT_FIELDS} fields`, position);
  const values = [...have.map((_, i) => fieldAt(struct, i)), ...(added.kind === "call" ? added.args : [])];
  return call(STRUCT_PACK, values, structOf(fields, false));
}

/** `(a, b)` and `row(a, b)`: DuckDB's struct of unnamed fields, compared, sorted and grouped field by field. */
export function rowValue(values: readonly Expr[], position: SourcePosition | undefined): Expr {
  if (values.length === 0) throw new UserError("row() needs at least one value", position);
  if (values.length > MAX_STRUCT_FIELDS) throw new UserError(`a row of more than ${MAX_STRUCT_FIELDS} values`, position);
  return call(STRUCT_PACK, [...values], structOf(values.map((v) => ({ name: "", type: v.type })), false));
}

/** A struct's field at `index` (from 0); NULL when the struct is. */
function fieldAt(struct: Expr, index: number): Expr {
  const field = fieldsOf(struct.type)[index];
  return call(STRUCT_FIELD, [struct, literal(index + 1, type("i32", false))], withNullable(field.type, true));
}

/** `s['a']`, `s.a` of a value, struct_extract(s, 'a'): the field of that name, or DuckDB's error. */
export function structField(struct: Expr, key: Expr, position: SourcePosition | undefined): Expr {
  // An unnamed struct's fields have no names to pick by: `r[2]` is its second, as DuckDB's.
  if (isUnnamedStruct(struct.type) && isInteger(key.type)) return structFieldAt(struct, key, position);
  if (isInteger(key.type)) throw new UserError("a struct's field is picked by its name (struct_extract_at picks one by position)", position);
  if (key.kind !== "literal" || typeof key.value !== "string") throw new UserError("a struct's field is named by a constant string", position);
  const name = key.value;
  // Case-insensitive, as DuckDB's.
  const index = fieldsOf(struct.type).findIndex((f) => f.name.toLowerCase() === name.toLowerCase());
  if (index < 0) throw new UserError(`${typeName(struct.type)} has no field ${key.value} (it has ${fieldsOf(struct.type).map((f) => f.name).join(", ")})`, position);
  return fieldAt(struct, index);
}

/** struct_extract_at(s, i): the i-th field, from 1. */
export function structFieldAt(struct: Expr, position: Expr, site: SourcePosition | undefined): Expr {
  if (struct.type.kind !== "struct") throw new UserError(`struct_extract_at needs a STRUCT, not ${typeName(struct.type)}`, site);
  if (position.kind !== "literal" || !isInteger(position.type)) throw new UserError("struct_extract_at's position is a constant integer", site);
  const at = Number(position.value);
  const count = fieldsOf(struct.type).length;
  if (at < 1 || at > count) throw new UserError(`struct_extract_at(…, ${at}): the struct has ${count} fields`, site);
  return fieldAt(struct, at - 1);
}

/**
 * Functions that write a value as text or JSON (json_object, format, array_to_string…): a struct
 * or a map among their arguments is named again first (namedForText), as a cast to text does.
 */
export const WRITES_VALUES_AS_TEXT: ReadonlySet<string> = new Set(["format", "printf", "array_to_string", "list_to_string", "array_join"]);

/**
 * CAST(x AS STRUCT(…)) and other casts to a type holding structs or maps, as DuckDB casts: a
 * struct to a struct by field name (each field the source's of its name, cast; NULL where the
 * source has none; none in common is DuckDB's error), anything else as castTo does. Within lists
 * and maps, structs are cast only to structs of their own field names (by position is then by
 * name); a struct's or map's text (VARCHAR to STRUCT) is refused.
 */
export function castToNested(value: Expr, target: SqlType, position: SourcePosition | undefined): Expr {
  if (value.type.kind === "null") return castTo(value, target, position);
  if (target.kind === "struct" && value.type.kind === "struct") {
    const source = fieldsOf(value.type);
    // An unnamed struct casts field by field in order; a named one by name.
    const byPosition = isUnnamedStruct(value.type) || isUnnamedStruct(target);
    if (byPosition && source.length !== fieldsOf(target).length) throw new UserError(`a cast of ${typeName(value.type)} to ${typeName(target)}: cannot cast STRUCTs of different size`, position);
    const fields = fieldsOf(target).map((field, i) => {
      const at = byPosition ? i : source.findIndex((f) => f.name.toLowerCase() === field.name.toLowerCase());
      return { name: field.name, value: at < 0 ? nullLiteral(field.type) : castToNested(fieldAt(value, at), field.type, position) };
    });
    if (!byPosition && fields.every((f) => !source.some((s) => s.name.toLowerCase() === f.name.toLowerCase()))) throw new UserError(`a cast of ${typeName(value.type)} to ${typeName(target)}: STRUCT to STRUCT cast must have at least one matching member`, position);
    const packed = call(STRUCT_PACK, fields.map((f) => f.value), structOf(fieldsOf(target), value.type.nullable));
    return value.type.nullable ? caseExpr([{ when: isNull(value, false), then: nullLiteral(packed.type) }], packed, position) : packed;
  }
  if (holdsStruct(target) && !castsByPosition(value.type, target)) throw new UnsupportedError(`a cast of ${typeName(value.type)} to ${typeName(target)}`, position);
  return castTo(value, target, position);
}

/** Whether `from` casts to `to` field by field in order: the same shape, structs of the same field names. */
function castsByPosition(from: SqlType, to: SqlType): boolean {
  if (from.kind !== to.kind) return !holdsStruct(from) && !holdsStruct(to);
  if (from.kind === "struct") return sameFieldNames(from, to) && fieldsOf(from).every((f, i) => castsByPosition(f.type, fieldsOf(to)[i].type));
  if (from.kind === "list") return castsByPosition(from.element!, to.element!);
  if (from.kind === "map") return castsByPosition(from.key!, to.key!) && castsByPosition(from.value!, to.value!);
  return true;
}
