import type { Command } from "../cli.ts";
import { clusterDownCommand, clusterUpCommand } from "./cluster.ts";
import { genTpchCommand } from "./gen.ts";
import { datasetAddCommand, datasetListCommand, queryCommand } from "./dataset.ts";
import { nodeStartCommand } from "./node.ts";
import { sqlCommand } from "./sql.ts";
import { substraitRunCommand, substraitShowCommand } from "./substrait.ts";
import { balanceCommand, proofVerifyCommand, sendCommand, txStatusCommand, walletNewCommand } from "./wallet.ts";

export const COMMANDS: Command[] = [
  genTpchCommand,
  sqlCommand,
  substraitRunCommand,
  substraitShowCommand,
  clusterUpCommand,
  clusterDownCommand,
  nodeStartCommand,
  walletNewCommand,
  sendCommand,
  txStatusCommand,
  proofVerifyCommand,
  balanceCommand,
  datasetAddCommand,
  datasetListCommand,
  queryCommand,
];
