// Helpers for the planner's tests: find relations and functions in an emitted plan.
import { Plan, type Rel } from "../../proto/index.ts";

export function relsOf(plan: Plan): Rel[] {
  const found: Rel[] = [];
  const visitValue = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visitValue(x);
      return;
    }
    if (!v || typeof v !== "object" || v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (["read", "filter", "fetch", "aggregate", "sort", "join", "project", "set", "cross", "window"].some((k) => o[k] && typeof o[k] === "object" && ("input" in (o[k] as object) || "left" in (o[k] as object) || "inputs" in (o[k] as object) || k === "read"))) {
      found.push(o as Rel);
    }
    for (const [k, x] of Object.entries(o)) if (k !== "_unknownFields") visitValue(x);
  };
  visitValue(plan.relations);
  return found;
}

/** The compound names of the functions a plan declares. */
export function declaredFunctions(plan: Plan): string[] {
  return plan.extensions.map((e) => e.extensionFunction?.name ?? "");
}

/** Encodes, decodes and encodes again: the bytes must not change. */
export function roundTrips(plan: Plan): boolean {
  const bytes = Plan.encode(plan).finish();
  const again = Plan.encode(Plan.decode(bytes)).finish();
  return Buffer.from(bytes).equals(Buffer.from(again));
}

/** Every value of a key anywhere in an object tree. */
export function valuesOf(tree: unknown, key: string): unknown[] {
  const out: unknown[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === key && x !== undefined) out.push(x);
        visit(x);
      }
    }
  };
  visit(tree);
  return out;
}
