import Foundation

/// The report for the health authority in the shape of the shortage direct-reporting form (短缺药品信息直报): the
/// drug, its specification and manufacturer, the members affected with their stock and days of stock, the cause, the
/// actions taken and the expected recovery. Rendered as CSV (one line per member affected, the drug's columns
/// repeated) and as JSON.
package struct ShortageEscalationReport: Sendable, Equatable {
    package struct Member: Sendable, Equatable {
        package var institutionCode: String
        package var institutionName: String
        package var onHand: Quantity
        /// nil: nothing consumed in the window.
        package var daysOfStock: Decimal?

        package init(institutionCode: String, institutionName: String, onHand: Quantity, daysOfStock: Decimal?) {
            self.institutionCode = institutionCode
            self.institutionName = institutionName
            self.onHand = onHand
            self.daysOfStock = daysOfStock
        }
    }

    /// An action taken, as the report lists it.
    package struct Action: Sendable, Equatable {
        package var kind: ShortageActionKind
        package var on: BusinessDate
        package var reason: String

        package init(kind: ShortageActionKind, on: BusinessDate, reason: String) {
            self.kind = kind
            self.on = on
            self.reason = reason
        }
    }

    package var consortiumCode: String
    package var reportedOn: BusinessDate
    package var drugCode: String
    package var genericName: String
    package var dosageForm: String
    /// 规格: the strength and the package ("5mg×28片").
    package var specification: String
    package var manufacturer: String
    package var lists: [ShortageListKind]
    package var openedOn: BusinessDate
    package var level: ShortageLevel
    package var members: [Member]
    package var cause: ShortageCause?
    package var actions: [Action]
    package var expectedRecovery: BusinessDate?

    package init(
        consortiumCode: String, reportedOn: BusinessDate, drugCode: String, genericName: String, dosageForm: String,
        specification: String, manufacturer: String, lists: [ShortageListKind], openedOn: BusinessDate, level: ShortageLevel,
        members: [Member], cause: ShortageCause?, actions: [Action], expectedRecovery: BusinessDate?
    ) {
        self.consortiumCode = consortiumCode
        self.reportedOn = reportedOn
        self.drugCode = drugCode
        self.genericName = genericName
        self.dosageForm = dosageForm
        self.specification = specification
        self.manufacturer = manufacturer
        self.lists = lists
        self.openedOn = openedOn
        self.level = level
        self.members = members
        self.cause = cause
        self.actions = actions
        self.expectedRecovery = expectedRecovery
    }

    /// 规格 from the drug's strength, package size, unit and package unit: "5mg×28片/盒"; without a strength
    /// "28片/盒".
    package static func specification(strength: String?, packageSize: Int, unit: String, packageUnit: String) -> String {
        let package = "\(packageSize)\(unit)/\(packageUnit)"
        guard let strength, !strength.isEmpty else { return package }
        return "\(strength)×\(package)"
    }

    package var totalOnHand: Quantity { members.reduce(.zero) { $0 + $1.onHand } }

    /// The actions taken, one text: "2026-11-20 redistribute: reason; …".
    package var actionsText: String { actionsText(word: { $0 }) }

    /// The actions taken, one text, each kind as `word` writes its raw value.
    func actionsText(word: (String) -> String) -> String {
        actions.map { "\($0.on) \(word($0.kind.rawValue)): \($0.reason)" }.joined(separator: "; ")
    }

    package static let csvHeader = [
        "consortium_code", "reported_on", "drug_code", "generic_name", "dosage_form", "specification", "manufacturer",
        "lists", "opened_on", "level", "institution_code", "institution_name", "on_hand", "days_of_stock", "cause",
        "actions_taken", "expected_recovery",
    ]

    /// The CSV's header alone (a report of no shortage).
    package static var emptyCSV: String { CSVWriter(header: csvHeader).text }

    /// CSV (RFC 4180 through `CSVWriter`): one line per member affected; a report with none has one line with the
    /// member's columns empty.
    package var csv: String { csv(header: Self.csvHeader, word: { $0 }, forExcel: false) }

    /// The CSV under other column names, with `word` writing each list, level, cause and action kind from its raw
    /// value, and for Excel (`CSVWriter.forExcel`) when `forExcel`: the API's download in Chinese.
    package func csv(header: [String], word: (String) -> String, forExcel: Bool) -> String {
        var writer = forExcel ? CSVWriter.forExcel(header: header) : CSVWriter(header: header)
        let drug = [
            consortiumCode, reportedOn.description, drugCode, genericName, dosageForm, specification, manufacturer,
            lists.map { word($0.rawValue) }.joined(separator: forExcel ? "、" : ";"), openedOn.description,
            word(level.rawValue),
        ]
        let tail = [cause.map { word($0.rawValue) } ?? "", actionsText(word: word), expectedRecovery?.description ?? ""]
        if members.isEmpty { writer.append(drug + ["", "", "", ""] + tail) }
        for member in members {
            writer.append(
                drug + [
                    member.institutionCode, member.institutionName, member.onHand.description,
                    member.daysOfStock.map(DecimalText.plain) ?? "",
                ] + tail)
        }
        return writer.text
    }

    /// JSON (`JSONText`): quantities and days of stock as decimal strings, absent values as null-free omissions.
    package var json: String {
        var w = JSONText(capacity: 1024)
        w.object { w in
            w.member("consortiumCode", consortiumCode)
            w.member("reportedOn", reportedOn.description)
            w.key("drug")
            w.object { w in
                w.member("code", drugCode)
                w.member("genericName", genericName)
                w.member("dosageForm", dosageForm)
                w.member("specification", specification)
                w.member("manufacturer", manufacturer)
                w.key("lists")
                w.array(lists) { w, list in w.value(list.rawValue) }
            }
            w.member("openedOn", openedOn.description)
            w.member("level", level.rawValue)
            w.key("members")
            w.array(members) { w, member in
                w.object { w in
                    w.member("institutionCode", member.institutionCode)
                    w.member("institutionName", member.institutionName)
                    w.member("onHand", member.onHand.description)
                    if let days = member.daysOfStock { w.member("daysOfStock", DecimalText.plain(days)) }
                }
            }
            w.member("totalOnHand", totalOnHand.description)
            if let cause { w.member("cause", cause.rawValue) }
            w.key("actionsTaken")
            w.array(actions) { w, action in
                w.object { w in
                    w.member("kind", action.kind.rawValue)
                    w.member("on", action.on.description)
                    w.member("reason", action.reason)
                }
            }
            if let expectedRecovery { w.member("expectedRecovery", expectedRecovery.description) }
        }
        return w.text
    }
}
