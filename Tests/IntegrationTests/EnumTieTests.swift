import Foundation
import PostgresNIO
import RxDomain
import RxStore
import Testing
import Yams

/// Each enum is written three times: the Swift type, the database's `CHECK` list, the contract's `enum`. This
/// test ties them (issue 20): the three lists hold the same values, or differ only where named here.
@Suite("Every enum agrees in Swift, SQL and the contract (issue 20)")
struct EnumTieTests {
    struct Tie: Sendable, CustomStringConvertible {
        var swift: [String]
        /// `table.column` whose `CHECK (column = ANY (ARRAY[…]))` lists the stored values; nil when not stored.
        var column: String?
        /// Where the contract lists the values: a schema and an optional property path ("Prescriber/title").
        var contract: String?
        /// Values Swift has that are never stored: derived from others (a price `scheduled` until it begins).
        var derived: Set<String> = []
        var description: String { column ?? contract ?? swift.joined(separator: ",") }
    }

    static func values<E: RawRepresentable & CaseIterable>(_: E.Type) -> [String] where E.RawValue == String {
        E.allCases.map(\.rawValue)
    }

    static func records<C: RecordClassification>(_: C.Type) -> [String] { C.allCases.map(\.rawValue) }
    static func settled<C: RecordClassification>(_: C.Type) -> [String] {
        C.allCases.filter { !$0.isDiscrepancy }.map(\.rawValue)
    }

    static let ties: [Tie] = [
        Tie(swift: values(ConsortiumKind.self), column: "consortia.kind", contract: "ConsortiumKind"),
        // The stock ledger (issue 21).
        Tie(swift: values(LotBlockKind.self), column: "lot_blocks.kind", contract: "LotBlockKind"),
        Tie(swift: values(StockDisposalKind.self), column: "stock_disposals.kind", contract: "StockDisposalInput/kind"),
        Tie(swift: values(StockDisposalKind.self), contract: "StockDisposal/kind"),
        Tie(swift: values(StockDocumentType.self), column: "stock_movements.document_type"),
        Tie(swift: values(ExpiryClass.self), contract: "StockLine/expiryClass"),
        Tie(swift: values(TraceabilityExemption.self), contract: "Dispensing/traceabilityExemption"),
        Tie(swift: values(InstitutionLevel.self), column: "institutions.level", contract: "InstitutionLevel"),
        Tie(swift: values(InstitutionLevel.self), column: "long_rx_level_limits.level", contract: "InstitutionLevel"),
        Tie(swift: values(InstitutionType.self), column: "institutions.type", contract: "InstitutionType"),
        Tie(swift: values(DrugCategory.self), column: "drugs.category", contract: "DrugCategory"),
        Tie(swift: values(InsuranceClass.self), column: "drugs.insurance_class", contract: "InsuranceClass"),
        Tie(swift: values(ControlClass.self), column: "drugs.control_class", contract: "ControlClass"),
        Tie(swift: values(Processing.self), column: "drugs.processing", contract: "Processing"),
        Tie(swift: values(Role.self), column: "api_tokens.role"),
        Tie(swift: values(CatalogueStatus.self), column: "catalogue_versions.status", contract: "CatalogueStatus"),
        Tie(swift: values(EndorsementDecision.self), column: "catalogue_endorsements.decision", contract: "Endorsement/decision"),
        Tie(
            swift: values(PriceAgreementStatus.self), column: "price_agreements.status", contract: "AgreementStatus",
            derived: ["scheduled", "ended"]),
        Tie(
            swift: values(RegistrationKind.self), column: "hospital_preparations.registration_kind", contract: "RegistrationKind"),
        Tie(swift: values(TransferApprovalKind.self), column: "transfer_approvals.kind", contract: "TransferApprovalKind"),
        Tie(swift: values(ReceiptCondition.self), column: "transfer_receipts.condition", contract: "ReceiptCondition"),
        Tie(swift: values(OrderStatus.self), column: "purchase_orders.status", contract: "OrderStatus"),
        Tie(swift: values(DiscrepancyReview.self), column: "invoices.review_status", contract: "Invoice/review"),
        Tie(swift: values(DiscrepancyReview.self), column: "reconciliation_discrepancies.review_status"),
        // One column for the discrepancies of every kind of run; only discrepancies are stored.
        Tie(
            swift: values(ReconciliationClassification.self) + records(HerbCommitmentClassification.self)
                + records(TransferClassification.self) + records(MemberCatalogueClassification.self),
            column: "reconciliation_discrepancies.classification",
            derived: Set(
                ["matched"] + settled(HerbCommitmentClassification.self) + settled(TransferClassification.self)
                    + settled(MemberCatalogueClassification.self))),
        Tie(swift: values(HerbRoundStatus.self), column: "herb_rounds.status", contract: "HerbRoundStatus"),
        Tie(swift: values(HerbAwardRule.self), column: "herb_rounds.award_rule", contract: "HerbAwardRule"),
        Tie(swift: values(HerbCommitmentStatus.self), column: "herb_commitments.status", contract: "HerbCommitment/status"),
        Tie(swift: values(HerbCommitmentStatus.self), column: "herb_commitment_changes.status_before"),
        Tie(swift: values(HerbCommitmentStatus.self), column: "herb_commitment_changes.status_after"),
        Tie(swift: values(HerbInspectionResult.self), column: "herb_inspections.result", contract: "HerbInspection/result"),
        Tie(swift: values(PrescriberTitle.self), column: "prescribers.title", contract: "Prescriber/title"),
        Tie(swift: values(ProcurementRules.PayableStatus.self), contract: "Payable/status"),
        Tie(swift: values(PendingEndorsementStatus.self), contract: "PendingEndorsement/status"),
    ]

    @Test(
        "the database's CHECK lists hold the Swift values, less only the derived ones",
        arguments: ties.filter { $0.column != nil })
    func database(_ tie: Tie) async throws {
        try await TestApp.run { app in
            let parts = tie.column!.split(separator: ".").map(String.init)
            let definitions = try await app.database.rows(
                """
                SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND c.conrelid = \(parts[0])::regclass
                  AND a.attname = \(parts[1]) AND pg_get_constraintdef(c.oid) LIKE '%ANY (ARRAY[%'
                """, as: String.self)
            #expect(definitions.count == 1, "\(tie.column!): \(definitions)")
            let stored = Set(definitions.flatMap(Self.literals))
            #expect(stored == Set(tie.swift).subtracting(tie.derived), "\(tie.column!)")
        }
    }

    @Test("the contract's enums hold the Swift values", arguments: ties.filter { $0.contract != nil })
    func contract(_ tie: Tie) throws {
        let url = TestDatabases.repositoryRoot.appendingPathComponent("Sources/RxAPI/openapi.yaml")
        let root = try #require(try Yams.compose(yaml: String(contentsOf: url, encoding: .utf8)))
        let schemas = try #require(root["components"]?["schemas"])
        let path = tie.contract!.split(separator: "/").map(String.init)
        var node = try #require(schemas[path[0]], "no schema \(path[0])")
        for property in path.dropFirst() { node = try #require(node["properties"]?[property], "\(tie.contract!)") }
        let listed = (node["enum"]?.array() ?? []).compactMap(\.string)
        #expect(!listed.isEmpty, "\(tie.contract!) has no enum")
        #expect(Set(listed) == Set(tie.swift), "\(tie.contract!)")
    }

    /// The quoted values of a constraint's definition: `'draft'::text` → draft.
    static func literals(_ definition: String) -> [String] {
        definition.split(separator: "'", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}
