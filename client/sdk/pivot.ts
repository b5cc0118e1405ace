// DuckDB's PIVOT statement without its values (`PIVOT t ON c USING sum(x)`) as two queries: its
// values, then the PIVOT with them listed (planner/parse/dynamic-pivot.ts says why). Every way a
// query runs — on local files, on a cluster, paid for with a proof — asks this first.
import type * as arrow from "apache-arrow";
import { UserError } from "../../common/errors.ts";
import { dynamicPivot } from "../../planner/parse/dynamic-pivot.ts";
import { tableToText } from "../output/values.ts";

/** Most PIVOTs without their values one query may hold (each is a query first). */
const MAX_DYNAMIC_PIVOTS = 16;

/** `sql`, each PIVOT's values listed where it lists none; `valuesOf` runs the query of one's values and answers its column as text. */
export async function withPivotValues(sql: string, valuesOf: (sql: string) => Promise<readonly (string | null)[]>): Promise<string> {
  let listed = sql;
  for (let count = 0, pivot = dynamicPivot(listed); pivot; pivot = dynamicPivot(listed)) {
    if (++count > MAX_DYNAMIC_PIVOTS) throw new UserError(`more than ${MAX_DYNAMIC_PIVOTS} PIVOTs without their values (ON c IN (…)) in one query`);
    const values = await valuesOf(pivot.valuesSql);
    listed = pivot.withValues(values.filter((v): v is string => v !== null));
  }
  return listed;
}

/** The first column of an answer as text (the values of withPivotValues' query). */
export function firstColumnText(table: arrow.Table): (string | null)[] {
  return tableToText(table)[0]?.values ?? [];
}
