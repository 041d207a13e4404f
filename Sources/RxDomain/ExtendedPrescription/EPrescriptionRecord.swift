import Foundation

/// The national insurance e-prescription status (电子处方状态).
package enum EPrescriptionStatus: Int, Sendable, Codable, CaseIterable {
    /// 有效
    case valid = 1
    /// 已失效: past its valid-to.
    case expired = 2
    /// 已撤销: revoked at the insurance platform.
    case revoked = 3
    /// 已作废: voided locally (the insurance revoke goes with it).
    case voided = 4
}

/// The national insurance e-prescription record (医保电子处方) a long or extended prescription carries, so a
/// member's HIS can upload it. The field names of RULES.md are kept as they are in its JSON (`json(on:)`); the names
/// RULES.md does not give (valid-to, status, the line's in-house code, quantity, unit, days and preparation flag)
/// follow the platform's style and are to be checked against the interface document.
package struct EPrescriptionRecord: Sendable, Equatable {
    package struct Line: Sendable, Equatable {
        /// 医保药品目录编码 (medListCodg)
        package var insuranceCode: String
        /// 院内药品编码
        package var inHouseCode: String
        package var quantity: Quantity
        package var unit: String
        package var days: Int
        /// 医疗机构制剂
        package var hospitalPreparation: Bool

        package init(
            insuranceCode: String, inHouseCode: String, quantity: Quantity, unit: String, days: Int, hospitalPreparation: Bool
        ) {
            self.insuranceCode = insuranceCode
            self.inHouseCode = inHouseCode
            self.quantity = quantity
            self.unit = unit
            self.days = days
            self.hospitalPreparation = hospitalPreparation
        }
    }

    /// 处方追溯码, 20 characters.
    package var traceCode: String
    /// 医保处方编号, 30 characters, once the platform has given it.
    package var insuranceRxNumber: String?
    /// The business date of issue; valid to = issue + `validityDays`.
    package var issuedOn: BusinessDate
    package var validityDays: Int
    /// 可续方 / 续方: may be refilled, at most `maxRefills` times, `refills` so far, `minDaysBetweenRefills` apart.
    package var refillable: Bool
    package var maxRefills: Int
    package var refills: Int
    package var minDaysBetweenRefills: Int
    /// 续方: a renewal, of `initialRxNumber`.
    package var renewal: Bool
    package var initialRxNumber: String?
    /// 长期处方
    package var longPrescription: Bool
    package var lines: [Line]
    /// 作废 (local) and 撤销 (insurance): `void(reason:)` sets both at once.
    package var voided: Bool
    package var revoked: Bool

    package init(
        traceCode: String, insuranceRxNumber: String?, issuedOn: BusinessDate, validityDays: Int, refillable: Bool,
        maxRefills: Int, refills: Int, minDaysBetweenRefills: Int, renewal: Bool, initialRxNumber: String?,
        longPrescription: Bool, lines: [Line], voided: Bool = false, revoked: Bool = false
    ) {
        self.traceCode = traceCode
        self.insuranceRxNumber = insuranceRxNumber
        self.issuedOn = issuedOn
        self.validityDays = validityDays
        self.refillable = refillable
        self.maxRefills = maxRefills
        self.refills = refills
        self.minDaysBetweenRefills = minDaysBetweenRefills
        self.renewal = renewal
        self.initialRxNumber = initialRxNumber
        self.longPrescription = longPrescription
        self.lines = lines
        self.voided = voided
        self.revoked = revoked
    }

    /// valid to = issue + valiDays: the last day it may be filled.
    package var validTo: BusinessDate { issuedOn.adding(days: validityDays) }

    /// The status on `date`: voided or revoked whatever the date, else expired after valid-to, else valid.
    package func status(on date: BusinessDate) -> EPrescriptionStatus {
        if voided { return .voided }
        if revoked { return .revoked }
        return date > validTo ? .expired : .valid
    }

    /// The record's own rules, every field at fault at once (422): the lengths of the platform's codes, the
    /// counts, and a renewal naming its original.
    package func check() throws(DomainError) {
        var errors: [FieldError] = []
        if traceCode.count != 20 { errors.append(FieldError(field: "rxTraceCode", reason: "must be 20 characters")) }
        if let number = insuranceRxNumber, number.isEmpty || number.count > 30 {
            errors.append(FieldError(field: "hiRxno", reason: "must be 1 to 30 characters"))
        }
        if validityDays < 1 { errors.append(FieldError(field: "valiDays", reason: "must be at least 1")) }
        if maxRefills < 0 || refills < 0 || refills > maxRefills || (!refillable && maxRefills > 0) {
            errors.append(
                FieldError(field: "reptdCnt", reason: "refills must be from 0 to the maximum, and none unless refillable"))
        }
        if minDaysBetweenRefills < 0 { errors.append(FieldError(field: "minInrvDays", reason: "must not be negative")) }
        if renewal != (initialRxNumber != nil) {
            errors.append(FieldError(field: "initRxno", reason: "a renewal names its original prescription, and only a renewal"))
        }
        if lines.isEmpty { errors.append(FieldError(field: "lines", reason: "an e-prescription has at least one line")) }
        guard errors.isEmpty else {
            throw .unprocessable("the e-prescription is refused: \(errors.map(\.field).joined(separator: ", "))", errors)
        }
    }

    /// Voids the prescription locally and records the insurance revoke in one step: both or neither. Refused (409)
    /// once voided or revoked; the reason is required (422 naming `reason`).
    package func void(reason: String) throws(DomainError) -> EPrescriptionRecord {
        guard !voided && !revoked else { throw .conflict("the e-prescription \(traceCode) is already voided or revoked") }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .invalid("reason", "a void says why")
        }
        var record = self
        record.voided = true
        record.revoked = true
        return record
    }

    /// The JSON a member's HIS uploads, in the platform's field names, its status on `date`. Flags are "1" or "0"; a number not known (hiRxno before upload, initRxno of a first prescription) is "".
    package func json(on date: BusinessDate) -> String {
        var w = JSONText(capacity: 512)
        func flag(_ value: Bool) -> String { value ? "1" : "0" }
        w.object { w in
            w.member("rxTraceCode", traceCode)
            w.member("hiRxno", insuranceRxNumber ?? "")
            w.member("valiDays", validityDays)
            w.member("valiEndTime", validTo.description)
            w.member("reptFlag", flag(refillable))
            w.member("maxReptCnt", maxRefills)
            w.member("reptdCnt", refills)
            w.member("minInrvDays", minDaysBetweenRefills)
            w.member("rxCotnFlag", flag(renewal))
            w.member("initRxno", initialRxNumber ?? "")
            w.member("longRxFlag", flag(longPrescription))
            w.member("rxStasCodg", status(on: date).rawValue)
            w.key("rxdrugdetail")
            w.array(lines) { w, line in
                w.object { w in
                    w.member("medListCodg", line.insuranceCode)
                    w.member("fixmedinsHilistId", line.inHouseCode)
                    w.member("drugTotlcnt", line.quantity.description)
                    w.member("drugTotlcntEmp", line.unit)
                    w.member("prdDays", line.days)
                    w.member("hospPrepFlag", flag(line.hospitalPreparation))
                }
            }
        }
        return w.text
    }
}
