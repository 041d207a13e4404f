internal import Foundation
import Hummingbird
import RxDomain
import RxStore
import RxUseCases

/// The dashboards (`/console/dashboard`, a member's with `?member=CODE`): the figures a consortium is assessed on,
/// from `DashboardUseCases`, each as a chart drawn on the server (`ConsoleChart`) beside a table of the same figures.
/// A figure links to the list behind it where the console has that list.
struct ConsoleDashboardPage: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }

    func dashboard(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        var member: Institution?
        if let code = c.request.uri.queryParameters.get("member"), !code.isEmpty {
            // Looked up among the consortium's members: another consortium's code is one that does not exist.
            guard let found = try await InstitutionUseCases(database: database).find(code: code, consortiumID: consortium.id)
            else {
                throw DomainError.notFound("no institution \(code)")
            }
            member = found
        }
        let figures = try await DashboardUseCases(database: database).figures(
            consortium: consortium, member: member, today: routes.clock.today(), by: c.principal)
        if c.wantsCSV {
            return ConsoleRoutes.csv(
                Self.csv(figures, language), ascii: "dashboard-\(figures.from)-\(figures.to).csv",
                named: language.word("csv_dashboard_name").replacingFirst(member?.code ?? consortium.code))
        }
        let percent = { (share: Decimal?) in share.map { DecimalText.format($0, places: 1) + "%" } ?? "—" }
        /// Institution codes are letters, digits, `-` and `_` (`Codes.institutionCodeError`): safe in a query as they are.
        func memberHref(_ code: String?) -> String? { code.map { "/console/dashboard?member=" + $0 } }
        let whole = language.word("dash_whole")

        var values: [String: Any] = [
            "period": language.word("dash_period").replacingFirst(ConsoleFormat.date(figures.from, language))
                .replacingFirst(ConsoleFormat.date(figures.to, language)),
            "scope": member.map { "\($0.code) \($0.name)" } ?? consortium.name,
        ]
        if member != nil { values["back"] = "/console/dashboard" }
        values["csvHref"] = c.csvHref

        // 基本药物占比
        let essentialRows = figures.essential.map { share in
            [
                "who": share.institutionCode ?? whole, "href": member == nil ? memberHref(share.institutionCode) ?? "" : "",
                "drugs": String(share.drugs), "essentialDrugs": String(share.essentialDrugs),
                "drugShare": percent(share.drugShare), "amount": ConsoleFormat.yuan(share.amount),
                "essentialAmount": ConsoleFormat.yuan(share.essentialAmount), "amountShare": percent(share.amountShare),
            ]
        }
        values["essential"] = essentialRows
        values["essentialChart"] =
            figures.essential.isEmpty
            ? ""
            : ConsoleChart.bars(
                figures.essential.flatMap { share -> [ConsoleChart.Bar] in
                    let who = share.institutionCode ?? whole
                    return [
                        .init(
                            label: "\(who) · \(language.word("dash_by_drugs"))", value: share.drugShare ?? 0,
                            text: percent(share.drugShare)),
                        .init(
                            label: "\(who) · \(language.word("dash_by_amount"))", value: share.amountShare ?? 0,
                            text: percent(share.amountShare)),
                    ]
                }, title: language.word("dash_essential"), scale: 100)

        // 目录覆盖
        values["coverage"] = figures.coverage.map {
            [
                "who": $0.institutionCode, "href": "/console/catalogue/members/\($0.institutionCode)",
                "items": String($0.items), "catalogueItems": String($0.catalogueItems), "share": percent($0.share),
            ]
        }
        values["coverageChart"] = ConsoleChart.bars(
            figures.coverage.map {
                .init(
                    label: $0.institutionCode, value: $0.share ?? 0, text: percent($0.share))
            }, title: language.word("dash_coverage"), scale: 100, target: (100, language.word("dash_full")))

        // 应付账款账龄
        if let buckets = figures.payables {
            values["payables"] = buckets.map {
                [
                    "age": language.word("dash_age_" + $0.age.rawValue), "invoices": String($0.invoices),
                    "unpaid": ConsoleFormat.yuan($0.unpaid),
                ]
            }
            values["payablesChart"] = ConsoleChart.bars(
                buckets.map {
                    .init(
                        label: language.word("dash_age_" + $0.age.rawValue), value: $0.unpaid.amount,
                        text: ConsoleFormat.yuan($0.unpaid))
                }, title: language.word("dash_payables"))
        }

        // 短缺药品
        if let shortages = figures.shortages {
            values["shortages"] = shortages.map {
                ["level": language.word("dash_shortage_" + $0.level.rawValue), "count": String($0.count)]
            }
            values["shortagesChart"] = ConsoleChart.bars(
                shortages.map {
                    .init(
                        label: language.word("dash_shortage_" + $0.level.rawValue), value: Decimal($0.count),
                        text: String($0.count))
                }, title: language.word("dash_shortages"))
        }

        // 近效期药品金额
        if let expiring = figures.expiring, let (wide, narrow) = figures.expiryThresholds {
            func label(_ c: ExpiryClass) -> String {
                switch c {
                case .nearExpiryFirst: language.word("dash_expiry_within").replacingFirst(String(wide))
                case .nearExpirySecond: language.word("dash_expiry_within").replacingFirst(String(narrow))
                default: language.word("dash_expired")
                }
            }
            values["expiring"] = expiring.map {
                [
                    "class": label($0.expiryClass), "lots": String($0.lots), "value": ConsoleFormat.yuan($0.value),
                    "uncosted": String($0.lotsWithoutCost),
                ]
            }
            values["expiringChart"] = ConsoleChart.bars(
                expiring.map {
                    .init(label: label($0.expiryClass), value: $0.value.amount, text: ConsoleFormat.yuan($0.value))
                }, title: language.word("dash_expiring"))
        }

        // 带量采购完成进度: the national agreements, then the decoction-piece rounds.
        let agreements =
            (figures.volumes ?? []).map { (language.word("dash_volumes") + "：" + $0.batch, $0.batch, $0.members) }
            + figures.herbRounds.map { (language.word("dash_herb_volumes") + "：" + $0.round, $0.round, $0.members) }
        if !agreements.isEmpty {
            values["volumes"] = agreements.map { heading, batch, members in
                (heading: heading, batch: batch, members: members)
            }.map { agreement in
                [
                    "heading": agreement.heading, "batch": agreement.batch,
                    "rows": agreement.members.map {
                        [
                            "who": $0.institutionCode, "names": String($0.names), "behind": String($0.behindPace),
                            "completion": percent($0.completion), "pace": percent($0.pace),
                        ]
                    },
                    "chart": ConsoleChart.bars(
                        agreement.members.map {
                            .init(label: $0.institutionCode, value: $0.completion ?? 0, text: percent($0.completion))
                        }, title: agreement.batch, scale: 100,
                        target: agreement.members.first?.pace.map {
                            ($0, language.word("dash_pace").replacingFirst(percent($0)))
                        }),
                ] as [String: Any]
            }
        }

        // 延伸处方
        func hours(_ seconds: Decimal?) -> String {
            seconds.map { DecimalText.format($0 / 3600, places: 1) + language.word("dash_hours") } ?? "—"
        }
        let fulfilment = figures.fulfilment
        values["fulfilmentLine"] = language.word("dash_fulfilment_line")
            .replacingFirst(String((fulfilment?.collected ?? 0) + (fulfilment?.notCollected ?? 0)))
            .replacingFirst(fulfilment.map { percent($0.rate.map { $0 * 100 }) } ?? "—")
            .replacingFirst(hours(fulfilment?.medianSecondsToCollection))
        values["fulfilment"] = figures.fulfilmentByMember.map {
            [
                "who": $0.key, "collected": String($0.collected), "notCollected": String($0.notCollected),
                "rate": percent($0.rate.map { $0 * 100 }), "median": hours($0.medianSecondsToCollection),
            ]
        }
        values["fulfilmentChart"] =
            figures.fulfilmentByMember.isEmpty
            ? ""
            : ConsoleChart.bars(
                figures.fulfilmentByMember.map {
                    .init(label: $0.key, value: ($0.rate ?? 0) * 100, text: percent($0.rate.map { $0 * 100 }))
                }, title: language.word("dash_fulfilment"), scale: 100)

        // 长期处方
        values["longPrescriptions"] = figures.longPrescriptions.map { ["month": $0.month, "count": String($0.count)] }
        values["longPrescriptionsChart"] = ConsoleChart.line(
            figures.longPrescriptions.map { (String($0.month.suffix(2)), $0.count) },
            title: language.word("dash_long_prescriptions"))
        values["longPrescriptionsTotal"] = String(figures.longPrescriptions.reduce(0) { $0 + $1.count })

        return routes.render("dashboard", values, title: language.word("dash_title"), c)
    }

    /// Every figure of the dashboard for Excel, one a row: the figure, whom it is of, what is counted, the value (a
    /// share in per cent, money in yuan, plain numbers Excel can sum), so the national and herb volume-based
    /// procurement figures, the essential-medicine shares and the rest travel to a report.
    static func csv(_ figures: DashboardUseCases.Figures, _ language: ConsoleLanguage) -> String {
        var writer = CSVWriter.forExcel(
            header: ["dash_csv_figure", "institution", "dash_csv_item", "dash_csv_value"].map(language.word))
        let whole = language.word("dash_whole")
        func row(_ figure: String, _ who: String, _ item: String, _ value: String) {
            writer.append([figure, who, item, value])
        }
        func share(_ value: Decimal?) -> String { value.map { DecimalText.format($0, places: 1) } ?? "" }
        let essential = language.word("dash_essential")
        for s in figures.essential {
            let who = s.institutionCode ?? whole
            row(essential, who, language.word("dash_drugs"), String(s.drugs))
            row(essential, who, language.word("dash_essential_drugs"), String(s.essentialDrugs))
            row(essential, who, language.word("dash_by_drugs") + "（%）", share(s.drugShare))
            row(essential, who, language.word("dash_amount"), s.amount.description)
            row(essential, who, language.word("dash_essential_amount"), s.essentialAmount.description)
            row(essential, who, language.word("dash_by_amount") + "（%）", share(s.amountShare))
        }
        let volumes =
            (figures.volumes ?? []).map { (language.word("dash_volumes") + "：" + $0.batch, $0.members) }
            + figures.herbRounds.map { (language.word("dash_herb_volumes") + "：" + $0.round, $0.members) }
        for (heading, members) in volumes {
            for m in members {
                row(heading, m.institutionCode, language.word("dash_completion") + "（%）", share(m.completion))
                row(heading, m.institutionCode, language.word("dash_pace_col") + "（%）", share(m.pace))
                row(heading, m.institutionCode, language.word("dash_behind"), String(m.behindPace))
            }
        }
        for c in figures.coverage {
            row(language.word("dash_coverage"), c.institutionCode, language.word("dash_share") + "（%）", share(c.share))
        }
        for b in figures.payables ?? [] {
            row(language.word("dash_payables"), whole, language.word("dash_age_" + b.age.rawValue), b.unpaid.description)
        }
        for s in figures.shortages ?? [] {
            row(language.word("dash_shortages"), whole, language.word("dash_shortage_" + s.level.rawValue), String(s.count))
        }
        for e in figures.expiring ?? [] {
            row(
                language.word("dash_expiring"), whole, language.word("expiry_class_" + e.expiryClass.rawValue),
                e.value.description)
        }
        for f in figures.fulfilmentByMember {
            row(language.word("dash_fulfilment"), f.key, language.word("dash_rate") + "（%）", share(f.rate.map { $0 * 100 }))
        }
        for m in figures.longPrescriptions {
            row(language.word("dash_long_prescriptions"), whole, m.month, String(m.count))
        }
        return writer.text
    }
}
