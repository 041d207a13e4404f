import Foundation

/// The lists a drug may be on (short supply watched nationally and by the province).
package enum ShortageListKind: String, Sendable, Codable, CaseIterable {
    /// 国家短缺药品清单
    case nationalShortage = "national_shortage"
    /// 临床必需易短缺药品重点监测清单
    case keyMonitoring = "key_monitoring"
    /// 省级短缺药品清单 (the province's own list)
    case provincial
}

/// A drug's membership of a list, dated: on the list from `from` until the day before `until` (nil: still on it).
/// `region` names the province of a provincial list.
package struct ShortageListMembership: Sendable, Hashable, Codable {
    package var drugCode: String
    package var list: ShortageListKind
    package var region: String?
    package var from: BusinessDate
    package var until: BusinessDate?
    /// The notice or edition that put the drug on the list.
    package var source: String

    package init(
        drugCode: String, list: ShortageListKind, region: String? = nil, from: BusinessDate, until: BusinessDate? = nil,
        source: String
    ) {
        self.drugCode = drugCode
        self.list = list
        self.region = region
        self.from = from
        self.until = until
        self.source = source
    }

    /// On the list on `date`: from its first day, up to (not including) `until`.
    package func holds(on date: BusinessDate) -> Bool {
        from <= date && (until.map { date < $0 } ?? true)
    }

    /// A membership as loaded (CSV, API): a provincial list names its region, the others none; `until` after `from`;
    /// a source; every broken rule at once (422 naming each field).
    package static func parse(
        drugCode: String, list: ShortageListKind, region: String?, from: BusinessDate, until: BusinessDate?, source: String
    ) throws(DomainError) -> ShortageListMembership {
        var errors: [FieldError] = []
        let region = region?.trimmingCharacters(in: .whitespaces)
        let regional = !(region ?? "").isEmpty
        if list == .provincial && !regional {
            errors.append(FieldError(field: "region", reason: "a provincial list names its province"))
        }
        if list != .provincial && regional {
            errors.append(FieldError(field: "region", reason: "only a provincial list names a province"))
        }
        if let until, until <= from {
            errors.append(FieldError(field: "until", reason: "must be after the date the drug joined the list"))
        }
        if source.trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(FieldError(field: "source", reason: "must not be blank"))
        }
        try ShortageRules.refuse(errors, "the list membership is refused")
        return ShortageListMembership(
            drugCode: drugCode, list: list, region: regional ? region : nil, from: from, until: until, source: source)
    }

    /// The lists a drug is on on `date`, each once, in the order of `ShortageListKind`.
    package static func lists(of drugCode: String, in memberships: [ShortageListMembership], on date: BusinessDate)
        -> [ShortageListKind]
    {
        let held = Set(memberships.filter { $0.drugCode == drugCode && $0.holds(on: date) }.map(\.list))
        return ShortageListKind.allCases.filter(held.contains)
    }
}
