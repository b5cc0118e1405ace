// Walking a decoded Substrait message without naming its every relation and expression kind.

/** Calls `each` on every object within `value`, depth first: relations, expressions, and the relations of expressions' subqueries. */
export function eachObject(value: unknown, each: (node: Record<string, unknown>) => void): void {
  if (!value || typeof value !== "object" || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const item of value) eachObject(item, each);
    return;
  }
  const node = value as Record<string, unknown>;
  each(node);
  for (const child of Object.values(node)) eachObject(child, each);
}
