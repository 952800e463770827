import { addPcCommand, type AddPcDeps } from "./add-pc";
import { approvalsCommand, type ApprovalsDeps } from "./approvals";
import { askCommand, type AskDeps } from "./ask";
import { auditCommand, type AuditDeps } from "./audit";
import { budgetCommand, type BudgetDeps } from "./budget";
import { enrollCommand, type EnrollDeps } from "./enroll";
import { healthCommand, type HealthDeps } from "./health";
import { helpCommand } from "./help";
import { panelCommand, type PanelDeps } from "./panel";
import { revokeCommand, type RevokeDeps } from "./revoke";
import { createCommandTable, type CommandTable } from "./table";
import { usageCommand, type UsageDeps } from "./usage";

/** What the commands need from the rest of the bot. */
export interface CommandDeps {
  addPc: AddPcDeps;
  ask: AskDeps;
  approvals: ApprovalsDeps;
  usage: UsageDeps;
  budget: BudgetDeps;
  audit: AuditDeps;
  enroll: EnrollDeps;
  health: HealthDeps;
  panel: PanelDeps;
  revoke: RevokeDeps;
}

/** Every command the bot knows, in the order !help lists them. */
export function buildCommandTable(deps: CommandDeps): CommandTable {
  const table: CommandTable = createCommandTable([
    helpCommand(() => table),
    addPcCommand(deps.addPc),
    enrollCommand(deps.enroll),
    auditCommand(deps.audit),
    healthCommand(deps.health),
    healthCommand(deps.health, "devices"),
    askCommand(deps.ask),
    approvalsCommand(deps.approvals),
    usageCommand(deps.usage),
    budgetCommand(deps.budget),
    revokeCommand(deps.revoke),
    panelCommand(deps.panel),
  ]);
  return table;
}
