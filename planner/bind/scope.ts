// Name resolution: which column a (possibly qualified) name in a query block means.
import { UserError, type SourcePosition } from "../../common/errors.ts";
import type { ColumnDef, ColumnId } from "../logical.ts";

export interface ScopeItem {
  /** The table name or alias that qualifies the column, lower-cased. */
  readonly qualifier: string | undefined;
  readonly name: string;
  readonly column: ColumnDef;
  /** The right-hand copy of a USING column: reachable qualified only, and left out of `*`. */
  readonly merged?: boolean;
}

export class Scope {
  readonly items: readonly ScopeItem[];
  /** The enclosing query block, for correlated references. */
  readonly parent: Scope | undefined;

  constructor(items: readonly ScopeItem[], parent: Scope | undefined) {
    this.items = items;
    this.parent = parent;
  }

  /** The column a name means and how many query blocks out it was found (0: this one). */
  resolve(qualifier: string | undefined, name: string, position: SourcePosition | undefined): { column: ColumnDef; depth: number } | undefined {
    let scope: Scope | undefined = this;
    let depth = 0;
    const q = qualifier?.toLowerCase();
    const n = name.toLowerCase();
    while (scope) {
      const found = scope.items.filter(
        (i) => i.name.toLowerCase() === n && (q === undefined ? !i.merged : i.qualifier === q),
      );
      if (found.length > 1) {
        throw new UserError(`column reference "${qualifier ? qualifier + "." : ""}${name}" is ambiguous`, position);
      }
      if (found.length === 1) return { column: found[0].column, depth };
      scope = scope.parent;
      depth++;
    }
    return undefined;
  }

  hasQualifier(qualifier: string): boolean {
    const q = qualifier.toLowerCase();
    return this.items.some((i) => i.qualifier === q);
  }

  /** A column's name as its FROM item has it, in this block or one enclosing it. */
  nameOf(id: ColumnId): string | undefined {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      const item = scope.items.find((i) => i.column.id === id);
      if (item) return item.name;
    }
    return undefined;
  }

  /** A name of this block close to `name`, for "did you mean". */
  suggest(name: string): string | undefined {
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      for (const item of scope.items) {
        const d = editDistance(name.toLowerCase(), item.name.toLowerCase());
        if (d < bestDistance) {
          bestDistance = d;
          best = item.name;
        }
      }
    }
    return best;
  }
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
