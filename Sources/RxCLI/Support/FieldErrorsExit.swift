import ArgumentParser
import Foundation
import RxDomain

/// A refusal naming a field (a password too short, a prescriber not registered) is the caller's: printed, exit 2.
func fieldErrorsExit<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch let error as DomainError where !error.fieldErrors.isEmpty {
        let fields = error.fieldErrors.map { "--\($0.field): \($0.reason)" }.joined(separator: "\n")
        FileHandle.standardError.write(Data("\(fields)\n".utf8))
        throw ExitCode(2)
    }
}
