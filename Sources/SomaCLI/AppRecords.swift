import Foundation
import SomaControl
import SomaLedger
import SomaProtocol

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
}
