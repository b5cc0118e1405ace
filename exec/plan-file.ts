// Reading a Substrait plan a user hands us, binary protobuf or proto3 JSON, from us or another
// producer. A field we do not know is refused by name rather than ignored: ignoring part of a
// plan would run something other than what its producer meant.
import { Plan } from "../proto/index.ts";
import { UserError } from "../common/errors.ts";
import { findUnknownField } from "../common/protobuf.ts";

/** Plans larger than this are refused before decoding. */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

export function loadPlan(bytes: Uint8Array, fileName: string): Plan {
  if (bytes.length > MAX_PLAN_BYTES) throw new UserError(`${fileName}: ${bytes.length} bytes is more than the ${MAX_PLAN_BYTES}-byte limit for a plan`);
  return looksLikeJson(bytes, fileName) ? planFromJson(new TextDecoder().decode(bytes), fileName) : planFromBinary(bytes, fileName);
}

function looksLikeJson(bytes: Uint8Array, fileName: string): boolean {
  if (fileName.toLowerCase().endsWith(".json")) return true;
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b; // "{"
  }
  return false;
}

export function planFromBinary(bytes: Uint8Array, fileName: string): Plan {
  let plan: Plan;
  try {
    plan = Plan.decode(bytes);
  } catch (error) {
    throw new UserError(`${fileName}: not a binary Substrait plan (${(error as Error).message})`);
  }
  const unknown = findUnknownField(plan, "plan");
  if (unknown) throw new UserError(`${fileName}: the plan has field number ${unknown.field} at ${unknown.path}, which Substrait v0.84 does not define`);
  if (plan.relations.length === 0) throw new UserError(`${fileName}: not a Substrait plan (no relations)`);
  return plan;
}

export function planFromJson(text: string, fileName: string): Plan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${fileName}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new UserError(`${fileName}: a Substrait plan in JSON is an object`);
  const plan = Plan.fromJSON(json);
  const unknown = findDroppedKey(json, Plan.toJSON(plan), "plan");
  if (unknown) throw new UserError(`${fileName}: unknown field ${unknown} in the plan (not in Substrait v0.84)`);
  if (plan.relations.length === 0) throw new UserError(`${fileName}: not a Substrait plan (no relations)`);
  return plan;
}

function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Values proto3 JSON may carry or leave out without meaning anything. */
function isDefault(value: unknown): boolean {
  if (value === null || value === 0 || value === "0" || value === "" || value === false) return true;
  if (typeof value === "string" && value.endsWith("_UNSPECIFIED")) return true;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

/**
 * The path of a key in the input that the decoded plan does not carry back out: a field the
 * schema does not have. Empty messages and default values vanish on the way back, so they
 * are not counted.
 */
function findDroppedKey(input: unknown, decoded: unknown, path: string): string | undefined {
  if (Array.isArray(input)) {
    const out = Array.isArray(decoded) ? decoded : [];
    for (let i = 0; i < input.length; i++) {
      const found = findDroppedKey(input[i], out[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof input !== "object" || input === null) return undefined;
  const out = (typeof decoded === "object" && decoded !== null ? decoded : {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (key === "@type") continue; // google.protobuf.Any's type URL
    const name = camelCase(key);
    if (name in out) {
      const found = findDroppedKey(value, out[name], `${path}.${name}`);
      if (found) return found;
    } else if (!isDefault(value) && !isEmptyMessage(value)) {
      return `${path}.${key}`;
    }
  }
  return undefined;
}

function isEmptyMessage(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => isDefault(v) || isEmptyMessage(v));
}
