import Foundation
import SomaControl
import SomaLedger
import SomaProtocol

/// What launch shows while resources are provisioned: on a terminal, one line per resource that turns from
/// "provisioning …" into "ready" in place; otherwise one plain line per event.
struct ProvisioningProgress {
    let terminal = isatty(STDOUT_FILENO) == 1
    var seen: [String: String] = [:]
    var started: [String: Date] = [:]
    var openLine = false

    /// Takes note of what is ready already (before the supervisor starts, from the stopped app's ledger): that
    /// was provisioned by an earlier launch. A resource provisioned between two looks is still reported, without
    /// its time.
    init(home: AppHome) {
        guard home.exists, let ledger = try? Ledger(readingAt: home.ledgerPath) else { return }
        for record in (try? ledger.resources()) ?? [] { seen[record.name] = record.state }
    }

    /// The resources as they are now, from the supervisor.
    mutating func report(_ records: [ResourceRecord]) {
        for record in records where seen[record.name] != record.state {
            seen[record.name] = record.state
            let type = record.intent.typeDescription
            switch record.state {
            case "provisioning":
                started[record.name] = Date()
                write("provisioning \(record.name) (\(type), \(record.intent.engine), \(record.intent.provider)) …", replace: false, keepOpen: true)
            case "ready":
                let elapsed = started[record.name].map { " in \(Int(Date().timeIntervalSince($0) * 1000)) ms" } ?? ""
                write("provisioned  \(record.name) (\(type), \(record.intent.engine))\(elapsed)", replace: true, keepOpen: false)
            case "failed":
                write("failed       \(record.name): \(record.failure ?? "see soma logs")", replace: true, keepOpen: false)
            default:
                break
            }
        }
    }

    /// A line of its own, between the resources' lines.
    static func write(_ line: String) { Terminal.out(line) }

    private mutating func write(_ line: String, replace: Bool, keepOpen: Bool) {
        var text = ""
        if terminal && replace && openLine { text += "\r\u{1B}[K" } else if openLine { text += "\n" }
        text += line
        if terminal && keepOpen {
            openLine = true
        } else {
            text += "\n"
            openLine = false
        }
        Terminal.out(text)
    }
}
