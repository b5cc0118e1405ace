// A query that repeats a part of itself (TPC-H Q2, Q11, Q15, Q21: a subquery reading the same
// tables, filtered and joined the same way, as the outer query) is cut into stages equal to stages
// cut before. Each such stage runs once and sends its rows to every stage that reads them: Q21
// scans lineitem for the Saudi suppliers' late lineitems once, not twice, and Q15's revenue per
// supplier is aggregated once for the join and for the maximum.
import { Plan, Type } from "../../proto/index.ts";
import { eachObject } from "../../proto/walk.ts";
import { exchangeTable, readersOf, saltMergeTable, type Stage, type StagedQuery } from "./stages.ts";

const STAGE_TABLE = /^__stage(\d+)_(output|salted)$/;
/** The id a stage is compared under: no stage has it. */
const UNNUMBERED = -1;

/**
 * The query with every stage equal to an earlier one (same plan over the same tables and the same
 * inputs, same output exchange) dropped, its readers reading the earlier one; stages renumbered
 * in order.
 */
export function shareRepeatedStages(query: StagedQuery): StagedQuery {
  /** Each stage's id in the result, by its id in `query`. */
  const renumbered = new Map<number, number>();
  const byContent = new Map<string, number>();
  const kept: Stage[] = [];
  for (const stage of query.stages) {
    // The root is the answer: there is one. A stage's plans may name its own id (the table of its
    // salted partials): it is left out of what is compared.
    const content = stage.output.kind === "result" ? undefined : contentKey(withIds(stage, UNNUMBERED, renumbered));
    const earlier = content === undefined ? undefined : byContent.get(content);
    if (earlier !== undefined) {
      renumbered.set(stage.id, earlier);
      continue;
    }
    const id = kept.length;
    renumbered.set(stage.id, id);
    if (content !== undefined) byContent.set(content, id);
    kept.push(withIds(stage, id, renumbered));
  }
  // A stage fused into its input runs as that input's tasks, which then send nothing to other readers.
  const shared = { stages: kept, names: query.names };
  const readers = readersOf(shared);
  for (const stage of kept) if (stage.fusedWithInput && readers.get(stage.inputs[0])!.length > 1) delete stage.fusedWithInput;
  for (const stage of kept) {
    if (stage.fusedWhenKeysLocal) stage.fusedWhenKeysLocal.stages = stage.fusedWhenKeysLocal.stages.map((old) => renumbered.get(old)!);
    const chain = stage.fusedWhenKeysLocal && [stage.id, ...stage.fusedWhenKeysLocal.stages];
    if (chain?.slice(0, -1).some((id, i) => readers.get(id)!.length !== 1 || readers.get(id)![0] !== chain[i + 1])) delete stage.fusedWhenKeysLocal;
  }
  return shared;
}

/** `stage` as stage `id`, reading its inputs under their new ids (two inputs that became one are read once). */
function withIds(stage: Stage, id: number, renumbered: ReadonlyMap<number, number>): Stage {
  const newId = (old: number) => (old === stage.id ? id : renumbered.get(old)!);
  const rename = (plan: Plan) => renameStageTables(plan, newId);
  const moved: Stage = { ...stage, id, plan: rename(stage.plan), inputs: [...new Set(stage.inputs.map(newId))] };
  if (stage.fusedWithInput) moved.fusedWithInput = rename(stage.fusedWithInput);
  // Its readers' ids (later stages, not renumbered yet) are renumbered once all are.
  if (stage.fusedWhenKeysLocal) moved.fusedWhenKeysLocal = { ...stage.fusedWhenKeysLocal, plan: rename(stage.fusedWhenKeysLocal.plan) };
  if (stage.saltMerge) moved.saltMerge = { ...stage.saltMerge, plan: rename(stage.saltMerge.plan) };
  return moved;
}

/** A copy of `plan` reading every stage's table under the stage's new id. */
function renameStageTables(plan: Plan, newId: (old: number) => number): Plan {
  const copy = Plan.decode(Plan.encode(plan).finish());
  eachObject(copy.relations, (node) => {
    const names = (node as { namedTable?: { names: string[] } }).namedTable?.names;
    const match = names?.length === 1 ? STAGE_TABLE.exec(names[0]) : null;
    if (!match) return;
    const id = newId(Number(match[1]));
    names![0] = match[2] === "output" ? exchangeTable(id) : saltMergeTable(id);
  });
  return copy;
}

/** Everything that decides a stage's output rows and where they go, as one string. */
function contentKey(stage: Stage): string {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return JSON.stringify({
    plan: base64(Plan.encode(stage.plan).finish()),
    runsOn: stage.runsOn,
    scans: stage.scans,
    everywhere: stage.everywhere,
    references: stage.references,
    inputs: stage.inputs,
    output: stage.output,
    types: stage.types.map((t) => base64(Type.encode(t).finish())),
    saltMerge: stage.saltMerge && { keys: stage.saltMerge.keys, plan: base64(Plan.encode(stage.saltMerge.plan).finish()) },
    joinKeys: stage.joinKeys ?? false,
  });
}
