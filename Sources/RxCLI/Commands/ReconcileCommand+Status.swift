import RxDomain
import RxUseCases

extension ReconcileInvoices.Outcome {
    /// The command's exit status: 0 every line matched, 1 discrepancies, 2 bad input (no report).
    package var status: Int32 { report.map(\.exitStatus) ?? ReconciliationRules.badInput }
}

extension RecordReconciliationOutcome {
    /// The command's exit status: 0 everything in line, 1 discrepancies, 2 bad input (no report).
    package var status: Int32 { report.map(\.exitStatus) ?? ReconciliationRules.badInput }
}
