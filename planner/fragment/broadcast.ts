// When a join sends one side whole to every node instead of hashing both sides on its keys: the
// fragmenter's choice, which the optimizer also asks before it moves work onto the side that stays.
import type { LogicalPlan } from "../logical.ts";
import { estimateRowBytes, estimateRows } from "../optimize/cardinality.ts";

/** Estimated rows up to which a join may send a whole side to every node instead of hashing both. */
export const DEFAULT_BROADCAST_ROW_LIMIT = 1_000_000;
/** The nodes a plan is cut for, unless the caller says: a broadcast's copies are weighed with it. */
export const DEFAULT_EXPECTED_NODES = 4;
/**
 * A side this small (estimated) is broadcast whatever the other side's size: hashing both sides
 * would cost a stage boundary on the other side for next to no rows saved.
 */
const ALWAYS_BROADCAST_ROWS = 1_000;

export interface BroadcastWeighing {
  /** Nodes the broadcast's copies go to. */
  nodes: number;
  /** Estimated rows past which a side is never broadcast. */
  rowLimit: number;
  /** The other side is hashed on the join keys already (it would not move either way). */
  otherPlaced: boolean;
}

/**
 * A broadcast sends the side to every other node: (n - 1) copies. Hashing moves (n - 1) / n of
 * both sides, or of this side alone when the other is hashed on the join keys already. The side
 * is broadcast when that weighs less, in estimated bytes.
 */
export function broadcastWeighsLess(side: LogicalPlan, other: LogicalPlan, weighing: BroadcastWeighing): boolean {
  const bytes = (plan: LogicalPlan) => estimateRows(plan) * estimateRowBytes(plan);
  const rows = estimateRows(side);
  if (rows > weighing.rowLimit) return false;
  if (rows <= ALWAYS_BROADCAST_ROWS) return true;
  return weighing.nodes * bytes(side) <= (weighing.otherPlaced ? bytes(side) : bytes(side) + bytes(other));
}
