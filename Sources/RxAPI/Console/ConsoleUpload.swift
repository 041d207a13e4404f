internal import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import RxDomain

/// A form posted as `multipart/form-data` with one file, read as it arrives: the text fields are kept, the file is
/// written to a temporary file and never held in memory. The CSRF token must come before the file (the form puts
/// its hidden field first), so that no byte of a forged upload is written.
struct ConsoleUpload: Sendable {
    var form: ConsoleForm
    /// The name the browser gave the file (its last path component).
    var fileName: String
    /// The temporary file; whoever receives the upload removes it.
    var path: String
    var bytes: Int

    /// The upload was refused before its file was read (a missing or wrong CSRF token).
    struct Forged: Error {}

    static func receive(_ request: Request, csrfToken: String, fileField: String, maximumBytes: Int) async throws
        -> ConsoleUpload
    {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = boundary(contentType)
        else { throw DomainError.badRequest("an upload is sent as multipart/form-data") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crx-upload-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
        else { throw DomainError.unavailable("the upload could not be stored") }
        defer { try? handle.close() }
        let parts = Parts(csrfToken: csrfToken, fileField: fileField, maximumBytes: maximumBytes)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in parts.header(name, value) }
        parser.onBody = { buffer in parts.body(&buffer) }
        parser.onPartComplete = { parts.complete() }
        do {
            for try await buffer in request.body {
                do { try parser.execute(buffer) } catch { throw DomainError.badRequest("the upload is not a readable form") }
                if let refusal = parts.refusal { throw refusal }
                if !parts.pending.isEmpty {
                    try handle.write(contentsOf: parts.pending)
                    parts.pending.removeAll(keepingCapacity: true)
                }
            }
            guard parts.csrfChecked else { throw Forged() }
            guard let fileName = parts.fileName, parts.fileBytes > 0 else {
                throw DomainError.badRequest(
                    "file: choose the distributor's invoice file",
                    [FieldError(field: "file", reason: "choose the distributor's invoice file")])
            }
            return ConsoleUpload(form: parts.form, fileName: fileName, path: path, bytes: parts.fileBytes)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// The `boundary` parameter of a multipart media type.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    /// The name (and file name) a part's `Content-Disposition` gives it.
    static func disposition(_ value: String) -> (name: String?, fileName: String?) {
        var name: String?
        var fileName: String?
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
            var text = pair[1].trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            // Browsers escape a quote in a name as %22.
            text = text.replacingOccurrences(of: "%22", with: "\"")
            if key == "name" { name = text }
            if key == "filename" { fileName = text }
        }
        return (name, fileName)
    }

    /// The parser's state between its callbacks, which cannot throw: a refusal is kept and thrown after the chunk.
    private final class Parts {
        let csrfToken: String
        let fileField: String
        let maximumBytes: Int
        var form = ConsoleForm()
        var csrfChecked = false
        var fileName: String?
        var fileBytes = 0
        var pending = Data()
        var refusal: (any Error)?
        private var name: String?
        private var isFile = false
        private var text: [UInt8] = []

        /// A text field longer than this is not one of the console's.
        static let maximumFieldBytes = 4_096

        init(csrfToken: String, fileField: String, maximumBytes: Int) {
            self.csrfToken = csrfToken
            self.fileField = fileField
            self.maximumBytes = maximumBytes
        }

        func header(_ name: String, _ value: String) {
            guard name.lowercased() == "content-disposition" else { return }
            let (field, file) = ConsoleUpload.disposition(value)
            self.name = field
            isFile = field == fileField && file != nil
            if isFile {
                // The last path component: some browsers send the whole path the file was chosen from.
                let last = file?.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
                fileName = String(last.prefix(200))
            }
        }

        func body(_ buffer: inout ByteBuffer) {
            guard refusal == nil else { return }
            if isFile {
                guard csrfChecked else {
                    refusal = Forged()
                    return
                }
                fileBytes += buffer.readableBytes
                guard fileBytes <= maximumBytes else {
                    refusal = HTTPError(.contentTooLarge, message: "the file is larger than \(maximumBytes) bytes")
                    return
                }
                if let bytes = buffer.readBytes(length: buffer.readableBytes) { pending.append(contentsOf: bytes) }
            } else {
                if let bytes = buffer.readBytes(length: buffer.readableBytes) { text += bytes }
                if text.count > Self.maximumFieldBytes {
                    refusal = DomainError.badRequest("\(name ?? "a field"): too long")
                }
            }
        }

        func complete() {
            if !isFile, let name {
                let value = String(decoding: text, as: UTF8.self)
                form.fields.append((name, value))
                if name == "csrf" { csrfChecked = ConsoleRoutes.equal(value, csrfToken) }
            }
            name = nil
            isFile = false
            text.removeAll()
        }
    }
}
