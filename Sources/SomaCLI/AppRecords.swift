import Foundation
import SomaControl
import SomaLedger
import SomaProtocol
import SomaResources

/// What the reading commands show: asked of the app's supervisor when one runs (the ledger's one writer), else
/// read from the ledger of the stopped app.
enum AppRecords {
    static func resources(_ home: AppHome) async throws -> [ResourceRecord] {
        if home.isRunning, let records = try? await ControlClient(path: home.controlSocket).resources() { return records }
        return try Ledger(readingAt: home.ledgerPath).resources()
    }

    static func resource(_ home: AppHome, named name: String) async throws -> ResourceRecord? {
        try await resources(home).first { $0.name == name }
    }

    static func versions(_ home: AppHome) async throws -> [VersionSummary] {
        if home.isRunning, let versions = try? await ControlClient(path: home.controlSocket).versions() { return versions }
        return try Ledger(readingAt: home.ledgerPath).versionSummaries()
    }

    /// `ask` of the app's supervisor, or nil where the caller reads this machine's home instead: no supervisor
    /// runs, or it is older than the request (it answers a case it does not know as `protocol-malformed`).
    /// Any other failure is thrown.
    static func supervisorAnswer<T>(_ home: AppHome, _ ask: (ControlClient) async throws -> T) async throws -> T? {
        guard home.isRunning else { return nil }
        do {
            return try await ask(ControlClient(path: home.controlSocket))
        } catch let failure as ProtocolFailure where failure.code == ProtocolFailure.Code.malformed.rawValue {
            return nil
        }
    }

    /// What a resource holds now (control 3.2), else read on this machine.
    static func inspection(_ home: AppHome, _ record: ResourceRecord, deadLetters: Int) async -> ResourceInspection {
        if let inspection = try? await supervisorAnswer(home, { try await $0.inspect(record.name, deadLetters: deadLetters) }) { return inspection }
        return ResourceInspector.inspect(record, deadLetters: deadLetters, as: .cli)
    }

    /// A stretch of the app's log, read by the supervisor where it runs (control 3.2), else from this machine's home.
    static func logs(_ home: AppHome, from: Int, limit: Int = 1 << 20) async -> LogChunk {
        if let chunk = try? await supervisorAnswer(home, { try await $0.logs(from: from, limit: limit) }) { return chunk }
        return LogReader.chunk(at: home.logPath, from: from, limit: limit)
    }
}
