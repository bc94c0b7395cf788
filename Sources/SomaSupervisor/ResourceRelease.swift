import Foundation
import SomaControl
import SomaLedger
import SomaProtocol
import SomaProviders

/// Ends a resource: the provider archives its data under `archive/NAME-TIME` in the app home (or deletes
/// it with `purge`), then the ledger row says `released`. The row stays: the name's history is kept.
public enum ResourceRelease {
    public static func release(_ record: ResourceRecord, home: AppHome, provider: any ResourceProvider, request: ProvisionRequest,
                               purge: Bool, ledger: Ledger) async throws {
        guard record.state != "released" else { return }
        let stamp = Date().formatted(Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: false).timeSeparator(.omitted))
        let archive = purge ? nil : (home.path as NSString).appendingPathComponent("archive/\(record.name)-\(stamp)")
        try await provider.release(request, archivePath: archive)
        try ledger.setResourceState(record.name, "released")
        try ledger.resourceProcess(record.name, pid: nil)
        try ledger.record("released", purge ? "\(record.name) (purged)" : "\(record.name) (archived in \(archive!))")
    }

    /// The archive folder a release used, for messages.
    public static func archiveFolder(home: AppHome) -> String {
        (home.path as NSString).appendingPathComponent("archive")
    }
}
