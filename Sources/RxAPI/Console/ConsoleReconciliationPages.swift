internal import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RxDomain
import RxStore
import RxUseCases

/// 对账 in the console: the consortium's reconciliation runs; a distributor's invoice file (UTF-8 or GBK) uploaded
/// and reconciled by the CLI's own `ReconcileInvoices`, its progress streamed into the page while it runs; and a
/// run's discrepancies, each marked resolved or disputed with a note (`ReconciliationUseCases.review`).
struct ConsoleReconciliationPages: Sendable {
    let routes: ConsoleRoutes
    var database: Database { routes.database }
    var reconciliations: ReconciliationUseCases { ReconciliationUseCases(database: database) }

    static let uploadPath = "/console/reconciliations/upload"
    /// The largest file an upload takes: capacity, not policy (a year of a distributor's lines is far smaller).
    static let maximumUploadBytes = 256 << 20
    /// Marks where the streamed progress goes in the rendered upload page.
    static let streamMark = "<!--progress-->"

    func list(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        if c.wantsCSV {
            let all = try await ConsolePager.everyItem { page in
                try await reconciliations.list(consortium: consortium, page: page, by: c.principal)
            }
            var writer = CSVWriter.forExcel(
                header: ["run_no", "run_kind", "run_file", "run_as_of", "run_started", "run_by", "run_lines", "run_money"]
                    .map(language.word))
            for run in all {
                writer.append([
                    String(run.id), language.words["run_kind_" + run.kind] ?? run.kind, run.fileName, run.asOf.description,
                    ConsoleFormat.time(run.startedAt, language), run.createdBy, String(run.lines),
                    run.moneyAtStake.description,
                ])
            }
            return ConsoleRoutes.csv(writer.text, ascii: "reconciliations.csv", named: language.word("csv_runs_name"))
        }
        let runs = try await reconciliations.list(
            consortium: consortium, page: try PageRequest(limit: 50, cursor: c.query("cursor")), by: c.principal)
        var values: [String: Any] = [
            "csvHref": c.csvHref,
            "runs": runs.items.map { run in
                [
                    "id": String(run.id), "href": "/console/reconciliations/\(run.id)",
                    "kind": language.words["run_kind_" + run.kind] ?? run.kind, "fileName": run.fileName,
                    "asOf": ConsoleFormat.date(run.asOf, language), "startedAt": ConsoleFormat.time(run.startedAt, language),
                    "by": run.createdBy, "lines": String(run.lines), "moneyAtStake": ConsoleFormat.yuan(run.moneyAtStake),
                ]
            },
            "mayUpload": (try? ReconcileInvoices.requireUploader(consortium, c.principal)) != nil,
            "codeTypes": (["auto"] + DrugCodeType.allCases.map(\.rawValue)).map {
                ["value": $0, "label": language.word("code_type_" + $0)]
            },
            "maximumMB": String(Self.maximumUploadBytes >> 20),
        ]
        if let next = runs.nextCursor {
            values["next"] = ConsolePager.href("/console/reconciliations", [("cursor", next)])
        }
        return routes.render("reconciliations", values, title: language.word("reconciliations_title"), c)
    }

    // MARK: - Upload

    /// POST of the upload form (`multipart/form-data`): the session and its CSRF token as every console POST, the
    /// permission before a byte of the file is stored, then the page streamed: its head, a line of progress as the
    /// reconciliation reads and matches, and the outcome. The run goes on to its end if the browser goes away.
    func upload(_ request: Request, context: BasicRequestContext) async -> Response {
        let language = ConsoleRoutes.language(request)
        let session: ConsoleAccountUseCases.ActiveSession
        do {
            guard let found = try await routes.activeSession(request) else {
                return Response.redirect(to: "/console/login", type: .normal)
            }
            session = found
        } catch {
            return routes.errorPage(error, request: request, session: nil, language: language, logger: context.logger)
        }
        let c = ConsoleRequest(request: request, session: session, language: language, form: ConsoleForm())
        let forged = routes.errorPage(
            status: .forbidden, message: language.word("csrf_refused"), session: session, request: request,
            language: language)
        guard ConsoleRoutes.sameOrigin(request) else { return forged }
        do {
            let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
            try ReconcileInvoices.requireUploader(consortium, c.principal)
            let upload: ConsoleUpload
            do {
                upload = try await ConsoleUpload.receive(
                    request, csrfToken: session.csrfToken, fileField: "file", maximumBytes: Self.maximumUploadBytes)
            } catch is ConsoleUpload.Forged {
                return forged
            }
            do {
                let choice = try UploadChoice(upload.form, path: upload.path)
                return stream(upload, choice, consortium: consortium, c)
            } catch {
                try? FileManager.default.removeItem(atPath: upload.path)
                throw error
            }
        } catch {
            return routes.errorPage(error, request: request, session: session, language: language, logger: context.logger)
        }
    }

    /// The form's choices besides the file: how its drug column is read, its encoding, and the date of the
    /// catalogue in effect.
    struct UploadChoice {
        var codeType: FileCodeType
        var encoding: FileEncoding

        init(_ form: ConsoleForm, path: String) throws {
            let codeName = form.text("code_type") ?? "auto"
            guard let codeType = FileCodeType(name: codeName) else {
                throw DomainError.invalid("code_type", "must be one of \(FileCodeType.names)")
            }
            self.codeType = codeType
            switch form.text("encoding") ?? "auto" {
            case "auto": encoding = try FileEncoding.detect(.file(path: path))
            case let name:
                guard let chosen = FileEncoding(rawValue: name) else {
                    throw DomainError.invalid("encoding", "must be auto, utf-8 or gbk")
                }
                encoding = chosen
            }
        }
    }

    func stream(_ upload: ConsoleUpload, _ choice: UploadChoice, consortium: Consortium, _ c: ConsoleRequest) -> Response {
        let language = c.language
        let page = routes.html(
            "reconcile_upload",
            [
                "fileName": upload.fileName, "bytes": ConsoleFormat.count(upload.bytes),
                "encoding": language.word("encoding_" + choice.encoding.rawValue),
                "codeType": language.word("code_type_" + (choice.codeType == .auto ? "auto" : choice.codeType.description)),
                "mark": Self.streamMark,
            ], title: language.word("upload_title"), session: c.session, request: c.request, language: language)
        let parts = page.components(separatedBy: Self.streamMark)
        let (head, tail) = (parts[0], parts.dropFirst().joined())
        let (database, templates, today, principal) = (database, routes.templates, routes.clock.today(), c.principal)
        var headers = ConsoleRoutes.htmlHeaders
        // A proxy in front (nginx) would otherwise hold the page back until the run is over.
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var open = true
                func send(_ html: String) async {
                    guard open else { return }
                    do { try await writer.write(ByteBuffer(string: html)) } catch { open = false }
                }
                await send(head)
                let (progress, continuation) = AsyncStream.makeStream(
                    of: ReconciliationProgress.self, bufferingPolicy: .bufferingNewest(1))
                // Not a child of the response: the run is finished and recorded whatever becomes of the page.
                let work = Task {
                    defer {
                        continuation.finish()
                        try? FileManager.default.removeItem(atPath: upload.path)
                    }
                    // The request's lease deadline was spent receiving the file; the run's own lease waits as any.
                    return try await Database.$requestDeadline.withValue(nil) {
                        try await ReconcileInvoices(database: database).run(
                            upload: .file(path: upload.path), fileName: upload.fileName, consortium: consortium,
                            encoding: choice.encoding, codeType: choice.codeType, asOf: today, by: principal,
                            progress: StreamedProgress(continuation))
                    }
                }
                for await step in progress { await send(Self.step(step, language)) }
                let outcome = await work.result
                await send(
                    templates.render("reconcile_result", Self.result(outcome, language).mapValues(ConsoleBlank.absent)) + tail)
                try await writer.finish(nil)
            })
    }

    /// One line of progress; the style sheet shows only the newest.
    static func step(_ progress: ReconciliationProgress, _ language: ConsoleLanguage) -> String {
        // Reading is the first half of the work, matching the second.
        let (key, done, total, base): (String, Int, Int, Int) =
            switch progress.phase {
            case .reading: ("upload_reading", progress.bytesRead, progress.totalBytes ?? 0, 0)
            case .matching: ("upload_matching", progress.linesMatched, progress.totalLines, 50)
            case .done: ("upload_recording", 1, 1, 50)
            }
        let percent = base + (total > 0 ? min(done, total) * 50 / total : 0)
        let text =
            progress.phase == .matching
            ? language.word(key).replacingFirst(ConsoleFormat.count(progress.linesMatched))
                .replacingFirst(ConsoleFormat.count(progress.totalLines))
            : language.word(key).replacingFirst(ConsoleFormat.count(progress.linesRead))
        return "<p class=\"step\">\(text) <progress max=\"100\" value=\"\(percent)\">\(percent)%</progress> \(percent)%</p>\n"
    }

    /// What the run came to: its summary and a link to its discrepancies, the file's bad lines, or the error.
    static func result(_ outcome: Result<ReconcileInvoices.Outcome, any Error>, _ language: ConsoleLanguage) -> [String: Any] {
        var values: [String: Any] = ["t": language.words]
        switch outcome {
        case .success(let outcome):
            if let report = outcome.report {
                values["runHref"] = "/console/reconciliations/\(report.runID)"
                values["runLink"] = language.word("upload_run_link").replacingFirst(String(report.runID))
                values["already"] = report.alreadyReconciled ? language.word("upload_already") : ""
                values["lines"] = ConsoleFormat.count(report.summary.lines)
                values["moneyAtStake"] = ConsoleFormat.yuan(report.summary.moneyAtStake)
                values["counts"] = report.summary.counts.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map {
                    ["label": language.words["classification_" + $0.key.rawValue] ?? $0.key.rawValue, "count": String($0.value)]
                }
            } else if let rejected = outcome.rejected {
                values["rejected"] = true
                values["badLines"] = rejected.errors.map {
                    ["line": String($0.line), "reason": language.message($0.reason)]
                }
                values["unlisted"] =
                    rejected.unlisted > 0 ? language.word("upload_unlisted").replacingFirst(String(rejected.unlisted)) : ""
            } else {
                values["failure"] = language.message(outcome.errors.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        case .failure(let error):
            let detail = (error as? DomainError)?.message ?? "the reconciliation failed; nothing was recorded"
            values["failure"] = language.message(detail)
        }
        return values
    }

    // MARK: - A run

    func run(_ c: ConsoleRequest) async throws -> Response {
        guard let id = Int64(c.segment(-1)) else { throw DomainError.notFound("no reconciliation run \(c.segment(-1))") }
        return try await runPage(c, id: id, refusal: nil)
    }

    func runPage(_ c: ConsoleRequest, id: Int64, refusal: ConsoleRefusal?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        let language = c.language
        if c.wantsCSV {
            let run = try await reconciliations.get(consortium: consortium, id: id, by: c.principal)
            return ConsoleRoutes.csv(
                Self.csv(run.discrepancies ?? [], language), ascii: "reconciliation-\(id).csv",
                named: language.word("csv_reconciliation_name").replacingFirst(String(id)))
        }
        let classification = c.query("classification").flatMap { $0.isEmpty ? nil : $0 }
        let unsettled = c.query("unsettled") == "1"
        let (run, reviews, page) = try await reconciliations.page(
            consortium: consortium, id: id,
            filter: .init(classification: classification, unsettledOnly: unsettled),
            page: try PageRequest(limit: 100, cursor: c.query("cursor")), by: c.principal)
        let mayReview = c.principal.may(.reviewDiscrepancies(consortiumID: consortium.id))
        var values: [String: Any] = [
            "id": String(run.id), "kind": language.words["run_kind_" + run.kind] ?? run.kind, "fileName": run.fileName,
            "asOf": ConsoleFormat.date(run.asOf, language), "startedAt": ConsoleFormat.time(run.startedAt, language),
            "by": run.createdBy, "lines": ConsoleFormat.count(run.lines), "moneyAtStake": ConsoleFormat.yuan(run.moneyAtStake),
            "counts": run.counts.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map {
                [
                    "label": language.words["classification_" + $0.key] ?? $0.key, "count": ConsoleFormat.count($0.value),
                    "href": ConsolePager.href("/console/reconciliations/\(run.id)", [("classification", $0.key)]),
                ]
            },
            "open": ConsoleFormat.count(reviews[nil] ?? 0),
            "disputed": ConsoleFormat.count(reviews[.disputed] ?? 0),
            "resolved": ConsoleFormat.count(reviews[.resolved] ?? 0),
            "classifications": run.counts.keys.sorted().filter { (run.counts[$0] ?? 0) > 0 }.map {
                [
                    "value": $0, "label": language.words["classification_" + $0] ?? $0,
                    "selected": $0 == classification ? "selected" : "",
                ]
            },
            "unsettled": unsettled ? "checked" : "",
            "discrepancies": page.items.map { DiscrepancyRow($0, runID: run.id, mayReview: mayReview, language) },
            "mayReview": mayReview,
            "csvHref": "/console/reconciliations/\(run.id)?format=csv",
            "refusal": refusal?.message as Any,
        ]
        if let next = page.nextCursor {
            var query: [(String, String)] = [("cursor", next)]
            if let classification { query.append(("classification", classification)) }
            if unsettled { query.append(("unsettled", "1")) }
            values["next"] = ConsolePager.href("/console/reconciliations/\(run.id)", query)
        }
        return routes.render(
            "reconciliation", values, title: language.word("reconciliation_title").replacingFirst(String(run.id)), c,
            status: status)
    }

    /// POST of one line's review: resolved or disputed, with a note; back to the run at that line.
    func review(_ c: ConsoleRequest) async throws -> Response {
        let consortium = try await ConsoleCataloguePages(routes: routes).consortium(c)
        guard let runID = Int64(c.segment(-4)), let line = Int(c.segment(-2)) else {
            throw DomainError.notFound("no such discrepancy")
        }
        return try await routes.change(
            c,
            {
                guard let status = DiscrepancyReview(rawValue: c.form["status"] ?? "") else {
                    throw DomainError.invalid("status", "must be resolved or disputed")
                }
                _ = try await reconciliations.review(
                    runID: runID, lineNumber: line, classification: c.form.text("classification"), as: status,
                    note: c.form["note"] ?? "", consortiumID: consortium.id, by: c.principal)
                var back = URLComponents()
                back.path = "/console/reconciliations/\(runID)"
                back.queryItems = [URLQueryItem(name: "done", value: "reviewed")]
                back.fragment = "line-\(line)"
                return Response.redirect(to: back.string ?? back.path, type: .normal)
            },
            again: { refusal, status in try await runPage(c, id: runID, refusal: refusal, status: status) })
    }

    /// A run's discrepancies for Excel: Chinese headers and words, the detail as one readable cell.
    static func csv(_ discrepancies: [RecordedDiscrepancy], _ language: ConsoleLanguage) -> String {
        var writer = CSVWriter.forExcel(
            header: [
                "csv_line", "csv_classification", "csv_detail", "csv_money_at_stake", "csv_review", "csv_review_note",
                "csv_reviewed_by",
            ].map(language.word))
        for d in discrepancies {
            writer.append([
                String(d.lineNumber), language.words["classification_" + d.classification] ?? d.classification,
                DiscrepancyRow.detailText(d.detail, language), d.moneyAtStake.formatted(places: 2),
                language.word("review_" + (d.review?.rawValue ?? "open")), d.reviewNote ?? "", d.reviewedBy ?? "",
            ])
        }
        return writer.text
    }
}

/// Hands the reconciliation's progress to the page being streamed; only the newest waits to be shown.
final class StreamedProgress: ReconciliationProgressReporter, Sendable {
    let continuation: AsyncStream<ReconciliationProgress>.Continuation
    init(_ continuation: AsyncStream<ReconciliationProgress>.Continuation) { self.continuation = continuation }
    func report(_ progress: ReconciliationProgress) { continuation.yield(progress) }
}

/// A discrepancy as the run's page lists it, with its review form when the person may review it.
struct DiscrepancyRow: ConsoleViewModel {
    static let fields: [String: any PartialKeyPath<Self> & Sendable] = [
        "line": \.line, "classification": \.classification, "classificationLabel": \.classificationLabel,
        "detail": \.detail, "moneyAtStake": \.moneyAtStake, "review": \.review, "reviewNote": \.reviewNote,
        "reviewedBy": \.reviewedBy, "reviewAction": \.reviewAction, "formID": \.formID,
    ]

    var line: String
    var classification: String
    var classificationLabel: String
    var detail: String
    var moneyAtStake: String
    var review: String
    var reviewNote: String
    var reviewedBy: String
    /// Where the review form posts; empty when the person may not review or the discrepancy is settled.
    var reviewAction: String
    var formID: String

    init(_ d: RecordedDiscrepancy, runID: Int64, mayReview: Bool, _ language: ConsoleLanguage) {
        line = String(d.lineNumber)
        classification = d.classification
        classificationLabel = language.words["classification_" + d.classification] ?? d.classification
        detail = Self.detailText(d.detail, language)
        moneyAtStake = ConsoleFormat.yuan(d.moneyAtStake)
        review = language.word("review_" + (d.review?.rawValue ?? "open"))
        reviewNote = d.reviewNote ?? ""
        reviewedBy = d.reviewedBy ?? ""
        reviewAction =
            mayReview && d.review != .resolved ? "/console/reconciliations/\(runID)/lines/\(d.lineNumber)/review" : ""
        formID = "review-\(d.lineNumber)-\(d.classification)"
    }

    /// The detail's fields in a fixed order, each under its word when the console has one.
    static func detailText(_ detail: [String: String], _ language: ConsoleLanguage) -> String {
        let separator = language == .chinese ? "：" : ": "
        return detail.sorted { $0.key < $1.key }.map { (language.words["detail_" + $0.key] ?? $0.key) + separator + $0.value }
            .joined(separator: language == .chinese ? "；" : "; ")
    }
}
