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

    /// What a resource holds now. A supervisor older than control 3.2, or none, leaves it to this machine.
    static func inspection(_ home: AppHome, _ record: ResourceRecord, deadLetters: Int) async -> ResourceInspection {
        if home.isRunning, let inspection = try? await ControlClient(path: home.controlSocket).inspect(record.name, deadLetters: deadLetters) {
            return inspection
        }
        return ResourceInspector.inspect(record, deadLetters: deadLetters, as: .cli)
    }

    /// A stretch of the app's log, read by the supervisor where it runs, or from this machine's home.
    static func logs(_ home: AppHome, from: Int, limit: Int = 1 << 20) async -> LogChunk {
        if home.isRunning, let chunk = try? await ControlClient(path: home.controlSocket).logs(from: from, limit: limit) { return chunk }
        return LogReader.chunk(at: home.logPath, from: from, limit: limit)
    }
}
