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

    /// Writes what the launch decided into the ledger, in one transaction. An order made against another
    /// current version than the ledger's (a launch came in between) is refused, and nothing is written.
    func record(_ order: LaunchOrder) throws(ProtocolFailure) -> LaunchReply {
        let version: Int
        do {
            version = try ledger.recordLaunch(order)
        } catch {
            throw ProtocolFailure(error, hint: error.code == "conflict" ? "launch again" : nil)
        }
        if order.settings != nil {
            // Written again from the ledger with the new soma.toml.
            try? FileManager.default.removeItem(atPath: home.codeFolder(version: version))
        }
        if order.holdFace {
            _ = FileManager.default.createFile(atPath: home.faceHoldPath, contents: nil, attributes: [.posixPermissions: 0o600])
        } else {
            unlink(home.faceHoldPath)
        }
        return LaunchReply(version: version)
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

    /// From the worker, as it gives up starting: why it cannot run.
    func workerFailed(_ reason: String) -> Done {
        lastWorkerFailure = reason
        return Done("noted")
    }

    /// From the worker, as it refuses to start: the version the stored state is at.
    func stateIsAt(_ stored: Int) -> Done {
        storedVersion = stored
        return Done("noted")
    }
}
