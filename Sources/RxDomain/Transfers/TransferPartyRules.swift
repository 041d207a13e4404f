import Foundation

/// Who and what a transfer (调剂使用) names, as the stores find them in the consortium: the preparation and its
/// producer, the supplier and the receivers of an approval, and the receipt's dates.
/// The approval's and the shipment's own rules, all at once, are `approvalErrors` and `shipmentErrors`.
extension TransferRules {
    /// A registered preparation as found: its unit and its producer's id.
    package struct RegisteredPreparation: Sendable, Equatable {
        package var unit: String
        package var producerInstitutionID: Int64
        package init(unit: String, producerInstitutionID: Int64) {
            self.unit = unit
            self.producerInstitutionID = producerInstitutionID
        }
    }

    /// The institutions an approval names, by id, and the preparation's unit it is counted in.
    package struct ApprovalParties: Sendable, Equatable {
        package var unit: String
        package var producerInstitutionID: Int64
        package var supplierInstitutionID: Int64
        package var receiverInstitutionIDs: [Int64]
    }

    /// An approval's preparation is registered in the consortium (nil: it is not, or its producer is no member), its
    /// supplier and every receiver are members (nil id: none by that code; the first unknown receiver is named), and
    /// a unit given is the preparation's.
    package static func approvalParties(
        drugCode: String, preparation: RegisteredPreparation?, supplierCode: String, supplierID: Int64?,
        receivers: [(code: String, id: Int64?)], unit: String?, consortiumCode: String
    ) throws(DomainError) -> ApprovalParties {
        guard let preparation else {
            throw .invalid("drugCode", "\(drugCode) is not a hospital preparation registered in \(consortiumCode)")
        }
        guard let supplierID else { throw .invalid("supplierInstitutionCode", "no member \(supplierCode) in \(consortiumCode)") }
        var receiverIDs: [Int64] = []
        for receiver in receivers {
            guard let id = receiver.id else {
                throw .invalid("receiverInstitutionCodes", "\(receiver.code) is not a member of \(consortiumCode)")
            }
            receiverIDs.append(id)
        }
        if let unit, unit != preparation.unit {
            throw .invalid("unit", "\(drugCode) is counted in \(preparation.unit), not \(unit)")
        }
        return ApprovalParties(
            unit: preparation.unit, producerInstitutionID: preparation.producerInstitutionID, supplierInstitutionID: supplierID,
            receiverInstitutionIDs: receiverIDs)
    }

    /// A shipment is received once, on a day that has come and not before it left.
    package static func checkReceipt(
        shipmentID: Int64, alreadyReceived: Bool, receivedOn: BusinessDate, shippedOn: BusinessDate, today: BusinessDate
    ) throws(DomainError) {
        guard !alreadyReceived else { throw .conflict("shipment \(shipmentID) has been received already") }
        if today < receivedOn {
            throw .invalid("receivedOn", "\(receivedOn) is in the future")
        }
        if receivedOn < shippedOn {
            throw .invalid("receivedOn", "\(receivedOn) is before the shipment left on \(shippedOn)")
        }
    }

    /// A hospital preparation (医疗机构制剂) registered is a drug of that category (`category` nil: no such drug),
    /// made by a member of the consortium (`producerID` nil: none by that code). Returns the producer's id.
    package static func preparationProducer(
        drugCode: String, category: String?, producerCode: String, producerID: Int64?, consortiumCode: String
    ) throws(DomainError) -> Int64 {
        guard let category else { throw .invalid("drugCode", "no drug \(drugCode)") }
        guard category == DrugCategory.hospitalPreparation.rawValue else {
            throw .invalid("drugCode", "\(drugCode) is a \(category) drug, not a hospital preparation")
        }
        guard let producerID else {
            throw .invalid("producerInstitutionCode", "no member \(producerCode) in \(consortiumCode)")
        }
        return producerID
    }
}
