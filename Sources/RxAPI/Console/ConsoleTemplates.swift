import Mustache

/// The console's templates, compiled into the binary (no files to find at run time) and parsed once at start.
/// Mustache escapes every `{{value}}` for HTML.
package struct ConsoleTemplates: Sendable {
    let library: MustacheLibrary

    package init() throws {
        var library = MustacheLibrary()
        let sources: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("login", PackageResources.login_mustache),
            ("home", PackageResources.home_mustache), ("drugs", PackageResources.drugs_mustache),
            ("drug", PackageResources.drug_mustache), ("catalogue", PackageResources.catalogue_mustache),
            ("draft", PackageResources.draft_mustache), ("error", PackageResources.error_mustache),
            ("notices", PackageResources.notices_mustache), ("items", PackageResources.items_mustache),
            ("decisions", PackageResources.decisions_mustache), ("draft_item", PackageResources.draft_item_mustache),
            ("versions", PackageResources.versions_mustache), ("version", PackageResources.version_mustache),
            ("diff", PackageResources.diff_mustache), ("report", PackageResources.report_mustache),
            ("member", PackageResources.member_mustache), ("desk", PackageResources.desk_mustache),
            ("patient", PackageResources.patient_mustache), ("users", PackageResources.users_mustache),
            ("drug_edit", PackageResources.drug_edit_mustache), ("pager", PackageResources.pager_mustache),
            ("lrx_print", PackageResources.lrx_print_mustache), ("dashboard", PackageResources.dashboard_mustache),
            ("orders", PackageResources.orders_mustache), ("order_print", PackageResources.order_print_mustache),
            ("receipt_print", PackageResources.receipt_print_mustache),
            ("statements", PackageResources.statements_mustache),
            ("statement_print", PackageResources.statement_print_mustache),
            ("reconciliations", PackageResources.reconciliations_mustache),
            ("reconciliation", PackageResources.reconciliation_mustache),
            ("reconcile_upload", PackageResources.reconcile_upload_mustache),
            ("reconcile_result", PackageResources.reconcile_result_mustache),
            ("stock", PackageResources.stock_mustache), ("stock_lot", PackageResources.stock_lot_mustache),
            ("shortages", PackageResources.shortages_mustache), ("shortage", PackageResources.shortage_mustache),
            ("transfers", PackageResources.transfers_mustache), ("transfer", PackageResources.transfer_mustache),
            ("extended", PackageResources.extended_mustache), ("order", PackageResources.order_mustache),
            ("stock_transfers", PackageResources.stock_transfers_mustache),
            ("stock_transfer", PackageResources.stock_transfer_mustache),
            ("stock_counts", PackageResources.stock_counts_mustache),
            ("stock_count", PackageResources.stock_count_mustache),
            ("consolidations", PackageResources.consolidations_mustache),
            ("consolidation", PackageResources.consolidation_mustache),
            ("invoices", PackageResources.invoices_mustache),
            ("invoice", PackageResources.invoice_mustache),
            ("payables", PackageResources.payables_mustache),
            ("spend", PackageResources.spend_mustache),
            ("extended_prescription", PackageResources.extended_prescription_mustache),
            ("herbs", PackageResources.herbs_mustache), ("herb_round", PackageResources.herb_round_mustache),
        ]
        for (name, bytes) in sources {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// The page; a template name that is not registered is a programming error.
    func render(_ name: String, _ page: [String: Any]) -> String {
        guard let html = library.render(page, withTemplate: name) else {
            preconditionFailure("no console template \(name)")
        }
        return html
    }

    static let css = PackageResources.console_css
}
