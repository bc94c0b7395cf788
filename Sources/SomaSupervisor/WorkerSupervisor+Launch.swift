import Foundation
import SomaLedger
import SomaProtocol

/// A launch is recorded by the supervisor, the ledger's one writer: `soma launch` starts it idle and sends
/// the order (or, in the foreground, runs it with the order).
extension WorkerSupervisor {
    /// The order of a launch, to a supervisor started idle: recorded, then the app runs.
    func launch(_ order: LaunchOrder) throws(ProtocolFailure) -> LaunchReply {
        guard case .idle = mode, !launchOrdered, !stopping else {
            throw ProtocolFailure(code: "already-launched", "\(home.name) is already launched\(launched ? " (version \(version))" : "")",
                                  hint: "soma status --app \(home.name) says how it runs")
        }
        let reply = try record(order)
        launchOrdered = true
        orders.open(order)
        return reply
    }

    /// Writes what the launch decided into the ledger. An order made against another current version than the
    /// ledger's (a launch came in between) is refused before anything is written.
    func record(_ order: LaunchOrder) throws(ProtocolFailure) -> LaunchReply {
        do {
            let existing = try ledger.app()
            let current = existing?.currentVersion
            guard current == order.expectedVersion else {
                throw ProtocolFailure(
                    code: "conflict",
                    "\(home.name) is at \(current.map { "version \($0)" } ?? "no version"), not \(order.expectedVersion.map { "version \($0)" } ?? "no version") as this launch expected: another launch came first; nothing was changed",
                    hint: "launch again")
            }
            if existing == nil { try ledger.createApp(name: order.app, port: nil) }
            let version: Int
            if let current {
                version = current
            } else {
                guard let code = order.code else {
                    throw ProtocolFailure(code: "no-code", "the launch of a new app carries no code; nothing was changed")
                }
                version = try ledger.addVersion(entry: code.entry, files: code.files.map { ($0.path, [UInt8]($0.content)) }, hash: code.hash)
            }
            if let settings = order.settings, let current {
                try ledger.replaceSettings(ofVersion: current, path: settings.path, content: settings.content.map { [UInt8]($0) }, hash: settings.hash)
                // Written again from the ledger with the new soma.toml.
                try? FileManager.default.removeItem(atPath: home.codeFolder(version: current))
                try ledger.record("settings", "soma.toml of version \(current) replaced at launch")
            }
            try ledger.setPort(order.port)
            try ledger.setProviderPaths(order.providerPaths)
            try ledger.setRestartIntensity(maxRestarts: order.maxRestarts, window: order.restartWindow)
            try ledger.setState("starting")
            if order.holdFace {
                _ = FileManager.default.createFile(atPath: home.faceHoldPath, contents: nil, attributes: [.posixPermissions: 0o600])
            } else {
                unlink(home.faceHoldPath)
            }
            return LaunchReply(version: version)
        } catch let failure as ProtocolFailure {
            throw failure
        } catch {
            throw ProtocolFailure(code: "ledger", "cannot record the launch of \(home.name): \(error)")
        }
    }

    /// An idle supervisor nobody has asked anything for `seconds` ends (its CLI died before its order).
    func endWhenUnused(after seconds: Double) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 250)))
            if activity.quiet(for: seconds) && !launchOrdered {
                logger.info("nothing was asked of this idle supervisor for \(Int(seconds)) s: ending")
                orders.open(nil)
                return
            }
        }
    }

    /// From the worker, as it refuses to start: the version the stored state is at.
    func stateIsAt(_ stored: Int) -> Done {
        storedVersion = stored
        return Done("noted")
    }
}

extension WorkerSupervisor {
    /// What `soma versions` shows: the versions the app has run.
    func versions() throws(ProtocolFailure) -> [VersionSummary] {
        do {
            return try ledger.versionSummaries()
        } catch {
            throw ProtocolFailure(code: error.code, error.message)
        }
    }
}
