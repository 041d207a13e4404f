import RxDomain

/// What a violated unique, exclusion or foreign-key constraint means to the person who sent the request: the
/// field and a reason, never the constraint's or the table's name (those are logged, not shown). A constraint not
/// listed here gets a plain reason by its kind. Most of these are also checked by the stores before writing; the
/// constraint is what still holds when two requests race.
package enum ConstraintExplanations {
    package static let byName: [String: FieldError] = [
        "consortia_code_key": FieldError(field: "code", reason: "a consortium with this code already exists"),
        "shortages_one_open": FieldError(field: "id", reason: "another shortage of this drug is open"),
        "institutions_consortium_id_code_key":
            FieldError(field: "code", reason: "the consortium already has an institution with this code"),
        "suppliers_code_key": FieldError(field: "code", reason: "a supplier with this code already exists"),
        "invoices_consortium_id_distributor_id_invoice_number_key":
            FieldError(field: "invoiceNumber", reason: "the distributor's invoice of this number is already recorded"),
        "payments_reference_once":
            FieldError(field: "reference", reason: "a payment with this reference is already recorded for the invoice"),
        "herb_bids_one_live":
            FieldError(field: "supplierCode", reason: "the supplier already has a bid on this item (withdraw it first)"),
        "herb_commitments_consortium_id_item_id_institution_id_key":
            FieldError(field: "institutionCode", reason: "the member has already entered a commitment for this item"),
        "herb_inspections_consortium_id_drug_code_lot_key_key":
            FieldError(
                field: "lotNumber",
                reason:
                    "this lot of the piece is already inspected (lots are compared whatever their case, spaces or full-width form)"
            ),
        "stock_movements_transfer_once":
            FieldError(field: "id", reason: "a stock movement of this document and lot is already posted"),
        "stock_movements_count_once":
            FieldError(field: "id", reason: "a stock movement of this document and lot is already posted"),
        "deliveries_lot_key_not_blank": FieldError(field: "lotNumber", reason: "must not be blank"),
        "herb_inspections_lot_key_not_blank": FieldError(field: "lotNumber", reason: "must not be blank"),
        "transfer_shipments_lot_key_not_blank": FieldError(field: "lotNumber", reason: "must not be blank"),
        "herb_round_items_consortium_id_round_id_drug_code_key":
            FieldError(field: "drugCode", reason: "the piece is already an item of the round"),
        "hospital_preparations_consortium_id_drug_code_producer_inst_key":
            FieldError(field: "drugCode", reason: "the preparation is already registered for this producer"),
        "hospital_preparations_consortium_id_registration_number_key":
            FieldError(field: "registrationNumber", reason: "a preparation with this registration number is already registered"),
        "long_rx_rule_sets_consortium_id_effective_from_key":
            FieldError(field: "effectiveFrom", reason: "a rule set already takes effect on this date"),
        "preparation_licences_consortium_id_institution_id_licence_n_key":
            FieldError(field: "licenceNumber", reason: "this licence is already recorded for the institution"),
        "drug_code_crosswalk_no_overlap":
            FieldError(field: "validFrom", reason: "the code is already mapped on some of these dates"),
        "prescribers_consortium_id_pseudonym_key":
            FieldError(field: "pseudonym", reason: "a prescriber with this pseudonym is already registered"),
        "provincial_bid_prices_consortium_id_drug_code_effective_fro_key":
            FieldError(field: "effectiveFrom", reason: "a provincial price of the drug already starts on this date"),
        "transfer_approvals_consortium_id_authority_document_number__key":
            FieldError(field: "documentNumber", reason: "this approval document is already recorded for the preparation"),
        "transfer_receipts_shipment_once": FieldError(field: "shipmentId", reason: "the shipment is already received"),
        "long_prescriptions_consortium_id_patient_ref_drug_code_sup_excl":
            FieldError(field: "drugCode", reason: "the patient already holds a long prescription of this drug for these days"),
        "price_agreements_consortium_id_drug_code_daterange_excl":
            FieldError(field: "effectiveFrom", reason: "overlaps another price period of the drug"),
        "provincial_bid_prices_consortium_id_drug_code_daterange_excl":
            FieldError(field: "effectiveFrom", reason: "overlaps another provincial price period of the drug"),
        "catalogue_versions_one_open":
            FieldError(field: "version", reason: "another catalogue version is already open (a draft or a proposal)"),
        "catalogue_versions_effective":
            FieldError(field: "effectiveFrom", reason: "another catalogue version already takes effect on this date"),
        "price_agreements_bid_once": FieldError(field: "reference", reason: "this price was already requested"),
        // The stock ledger's last guards (sql/020, sql/023): the use cases refuse first, naming the lot; these still
        // hold when two requests race for the same units.
        "stock_on_hand_quantity_check":
            FieldError(field: "lotNumber", reason: "not enough stock of the lot: another movement took it first"),
        "stock_movements_quarantine":
            FieldError(field: "lotNumber", reason: "the lot is expired or blocked and leaves only destroyed or returned"),
        "stock_movements_expiry":
            FieldError(field: "expiryDate", reason: "the lot is held here with another expiry date"),
        "received_traceability_codes_once":
            FieldError(field: "traceabilityCodes", reason: "a package of this traceability code was already received"),
        "dispensings_one_recipient":
            FieldError(field: "patientRef", reason: "a dispensing goes to a patient or to a ward, exactly one"),
    ]

    /// The error a caller is shown for a violated constraint (SQLSTATE class 23).
    static func error(state: String, constraint: String?) -> DomainError {
        if let constraint, let known = byName[constraint] {
            let message = "\(known.field): \(known.reason)"
            return state == "23505" || state == "23P01" ? .conflict(message) : .unprocessable(message, [known])
        }
        switch state {
        case "23505": return .conflict("already exists")
        case "23P01": return .conflict("overlaps an existing entry")
        case "23503": return .unprocessable("refers to something that does not exist, or is still referred to")
        case "23502": return .unprocessable("a required value is missing")
        default: return .unprocessable("a value breaks a rule of the data")
        }
    }
}
