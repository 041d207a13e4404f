import Foundation

/// How `reconcile invoices` reads a file's drug column (`--code-type`): `auto` recognises each code by its shape,
/// a type says every code is of that type.
package enum FileCodeType: Sendable, Equatable, Hashable, CustomStringConvertible {
    case auto
    case only(DrugCodeType)

    /// Reads `auto` or a code type as the command line writes it (`in-house` and `in_house` alike).
    package init?(name: String) {
        if name.trimmingCharacters(in: .whitespaces).lowercased() == "auto" {
            self = .auto
        } else if let type = DrugCodeType(name: name) {
            self = .only(type)
        } else {
            return nil
        }
    }

    /// As kept with the run: `auto` or the type's raw value.
    package var description: String {
        switch self {
        case .auto: "auto"
        case .only(let type): type.rawValue
        }
    }

    /// `auto, insurance, standard, approval, traceability_prefix, platform, in_house`: for refusals.
    package static let names = "auto, " + DrugCodeType.names

    var type: DrugCodeType? {
        if case .only(let type) = self { return type }
        return nil
    }
}

/// What a drug code of a file means over the dates of its lines (药品编码对照 applied to an invoice file). The
/// segments cover every date, in order; each says which drug the code is and how to convert the line's quantity
/// and unit price into the unit the consortium's order lines count in, or why the code is not mapped.
package struct InvoiceCodeTranslation: Sendable, Equatable {
    package struct Segment: Sendable, Equatable {
        /// [from, to); nil from: from the beginning, nil to: open.
        package var from: BusinessDate?
        package var to: BusinessDate?
        /// The drug the code means; nil when it is unmapped on these dates.
        package var drugCode: String?
        /// One of the file's units is `numerator / denominator` of the order lines' unit: the crosswalk's package
        /// factor to the drug's unit, divided by the package size when the unified price counts packages.
        package var numerator: Decimal
        package var denominator: Decimal
        /// The crosswalk's package factor (to the drug's unit), shown in the report; nil for a drug code read as itself.
        package var packageFactor: Decimal?
        /// Why the code is unmapped, for the report (nil when mapped).
        package var reason: String?

        package init(
            from: BusinessDate?, to: BusinessDate?, drugCode: String?, numerator: Decimal = 1, denominator: Decimal = 1,
            packageFactor: Decimal? = nil, reason: String? = nil
        ) {
            self.from = from
            self.to = to
            self.drugCode = drugCode
            self.numerator = numerator
            self.denominator = denominator
            self.packageFactor = packageFactor
            self.reason = reason
        }

        /// The same drug at the same ratio (a mapping that only restates the drug's own unit, factor 14 over a
        /// package of 14, means what the bare code did), or the same reason.
        func sameMeaning(_ other: Segment) -> Bool {
            drugCode == other.drugCode && numerator * other.denominator == other.numerator * denominator
                && reason == other.reason
        }
    }

    /// The code as the file writes it.
    package var code: String
    package var segments: [Segment]

    package init(code: String, segments: [Segment]) {
        self.code = code
        self.segments = segments
    }

    /// The code is a drug's own code, read as itself on every date: the line needs no translation.
    package var isIdentity: Bool {
        segments.count == 1 && segments[0].drugCode == code && segments[0].numerator == segments[0].denominator
    }
}

/// How the consortium's order lines count a drug: the unified price's unit, and the drug's package size.
package struct DrugOrderUnit: Sendable, Equatable {
    package var priceUnit: PriceUnit
    package var packageSize: Decimal

    package init(priceUnit: PriceUnit, packageSize: Decimal) {
        self.priceUnit = priceUnit
        self.packageSize = packageSize
    }
}

/// Reading a file's drug codes through the crosswalk.
package enum InvoiceCodeReading {
    /// An approval number in a file's drug column carries its specification after a bar: `国药准字H20990170|5mg`.
    package static let specificationSeparator: Character = "|"

    /// The codes `text` may be under `type`, with the specification an approval number names; or why it is no code
    /// of that type (the line is then unmapped, not refused: a file is never failed for an unknown code).
    package static func candidates(_ text: String, type: FileCodeType) -> (
        codes: [DrugCode], specification: String?, problem: String?
    ) {
        var code = text
        var specification: String?
        if let bar = text.firstIndex(of: specificationSeparator), type == .auto || type == .only(.approval) {
            code = String(text[..<bar])
            specification = String(text[text.index(after: bar)...]).trimmingCharacters(in: .whitespaces)
        }
        do {
            let codes = try DrugCodeRecognition.candidates(code, type: type.type, field: "drug_code")
            return (codes, specification, nil)
        } catch {
            return ([], specification, error.fieldErrors.first?.reason ?? error.message)
        }
    }

    /// What `text` means over time. `mappings` are the crosswalk's rows of its candidate codes (the consortium's
    /// and the national ones, every date); `isDrugCode` whether it is a drug's own code in the master data, which
    /// (read as an insurance code, or under `auto`) means that drug in its own unit when no mapping holds;
    /// `orderUnits` how the order lines count each drug the mappings name.
    ///
    /// The candidates are tried in order (under `auto`: the platform's code before a member's in-house code) and
    /// the first that maps wins; among the mappings of one code `CrosswalkRules.resolve` decides (the consortium's
    /// own before the national one).
    package static func translate(
        _ text: String, type: FileCodeType, isDrugCode: Bool, mappings: [CrosswalkMapping],
        orderUnits: [String: DrugOrderUnit]
    ) -> InvoiceCodeTranslation {
        let (codes, specification, problem) = candidates(text, type: type)
        let readsAsItself = isDrugCode && (type == .auto || type == .only(.insurance))
        let relevant = mappings.filter { m in
            codes.contains(m.code) && (m.code.type != .approval || m.specification == specification)
        }
        // The dates where the answer may change: every mapping's start and end.
        var bounds = Set<BusinessDate>()
        for m in relevant {
            bounds.insert(m.validFrom)
            if let to = m.validTo { bounds.insert(to) }
        }
        let sorted = bounds.sorted()
        var starts: [BusinessDate?] = [nil]
        starts += sorted.map { Optional($0) }
        var segments: [InvoiceCodeTranslation.Segment] = []
        for (i, start) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1] : nil
            // Before the first bound no mapping holds; any day of the segment answers for all of it.
            let day = start ?? sorted.first?.adding(days: -1) ?? BusinessDate.earliest
            var segment = meaning(
                on: day, text: text, codes: codes, specification: specification, problem: problem,
                readsAsItself: readsAsItself, mappings: relevant, orderUnits: orderUnits)
            segment.from = start
            segment.to = end
            if let last = segments.last, last.sameMeaning(segment) {
                segments[segments.count - 1].to = end
            } else {
                segments.append(segment)
            }
        }
        return InvoiceCodeTranslation(code: text, segments: segments)
    }

    static func meaning(
        on day: BusinessDate, text: String, codes: [DrugCode], specification: String?, problem: String?,
        readsAsItself: Bool, mappings: [CrosswalkMapping], orderUnits: [String: DrugOrderUnit]
    ) -> InvoiceCodeTranslation.Segment {
        for code in codes {
            guard let m = CrosswalkRules.resolve(mappings.filter { $0.code == code }, on: day) else { continue }
            let factor = m.packageFactor.value
            guard let unit = orderUnits[m.drugCode] else {
                return .init(
                    from: nil, to: nil, drugCode: nil,
                    reason: "mapped to \(m.drugCode), which has no unified price to count its order lines by")
            }
            let denominator = unit.priceUnit == .package ? unit.packageSize : 1
            return .init(
                from: nil, to: nil, drugCode: m.drugCode, numerator: factor, denominator: denominator, packageFactor: factor)
        }
        if readsAsItself { return .init(from: nil, to: nil, drugCode: text) }
        if let problem { return .init(from: nil, to: nil, drugCode: nil, reason: problem) }
        if codes.first?.type == .approval, specification == nil {
            return .init(
                from: nil, to: nil, drugCode: nil,
                reason: "an approval number needs its specification after a bar: \(text)|规格")
        }
        let types = codes.map(\.type.rawValue).joined(separator: " or ")
        return .init(from: nil, to: nil, drugCode: nil, reason: "no mapping of this \(types) code on this date")
    }

    /// A text naming what a file's translations were, for the run's key: the same file read through a changed
    /// crosswalk is a new run, through the same one the earlier run. Empty when no code needed translating.
    package static func key(_ translations: [InvoiceCodeTranslation]) -> String {
        translations.filter { !$0.isIdentity }.sorted { $0.code < $1.code }.map { t in
            t.code + "\u{1F}"
                + t.segments.map { s in
                    [
                        s.from?.description ?? "", s.to?.description ?? "", s.drugCode ?? "", "\(s.numerator)",
                        "\(s.denominator)", s.reason ?? "",
                    ].joined(separator: "\u{1F}")
                }.joined(separator: "\u{1E}")
        }.joined(separator: "\u{1D}")
    }
}

extension InvoiceCodeTranslation {
    /// The line as the crosswalk reads it on its invoice date, with why its code is unmapped then (nil when it is
    /// mapped): the drug it means, and its quantity and unit price converted into the order lines' unit (divided as
    /// the database divides, `NumericDivision`). The file's code is kept as `fileDrugCode` when the line was read as
    /// another drug or through a package factor. A date no segment covers leaves the line as the file wrote it.
    package func read(_ line: InvoiceFileLine) -> (line: InvoiceFileLine, unmapped: String?) {
        guard
            let segment = segments.first(where: {
                ($0.from.map { $0 <= line.invoiceDate } ?? true) && ($0.to.map { line.invoiceDate < $0 } ?? true)
            })
        else { return (line, nil) }
        var read = line
        read.packageFactor = segment.packageFactor
        if let drug = segment.drugCode {
            read.drugCode = drug
            read.quantity = Self.convert(line.quantity, times: segment.numerator, over: segment.denominator)
            read.unitPrice = Money(Self.convert(line.unitPrice.amount, times: segment.denominator, over: segment.numerator))
        }
        if read.drugCode != line.drugCode || read.packageFactor != nil { read.fileDrugCode = line.drugCode }
        return (read, segment.reason)
    }

    /// `value × numerator ÷ denominator`, the product's scale the operands' together as in SQL.
    static func convert(_ value: Decimal, times numerator: Decimal, over denominator: Decimal) -> Decimal {
        let scale = NumericDivision.scale
        return NumericDivision.divide(
            value * numerator, by: denominator, dividendScale: scale(value) + scale(numerator),
            divisorScale: scale(denominator)) ?? value
    }
}

/// A file's lines read through its codes' translations (`InvoiceCodeReading.translate`); a code with none (a
/// drug's own code, read as itself) leaves its lines as written.
package struct InvoiceLineReading: Sendable {
    private let byCode: [String: InvoiceCodeTranslation]

    package init(_ translations: [InvoiceCodeTranslation]) {
        byCode = Dictionary(translations.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    package func read(_ line: InvoiceFileLine) -> (line: InvoiceFileLine, unmapped: String?) {
        byCode[line.drugCode]?.read(line) ?? (line, nil)
    }
}
