import Foundation
import SomaControl
import SomaLedger
import SomaProtocol

extension WorkerSupervisor {
    /// `swap` from the CLI, to a pending version the CLI recorded in the ledger. The worker plans and applies;
    /// the supervisor materializes the code and, once the worker has switched, makes the version current in
    /// the ledger and runs it from then on.
    func swap(_ command: SwapOrder) async throws(ProtocolFailure) -> SwapReply {
        let number = command.version
        guard workerPID != nil, state == .running else {
            throw ProtocolFailure(code: "not-running", "\(home.name) is \(state.rawValue): a swap needs a running program")
        }
        guard !swapping else { throw ProtocolFailure(code: "busy", "another swap of \(home.name) is in progress") }
        swapping = true
        defer { swapping = false }
        let newEntry: String
        var restores: Int?
        do {
            guard let record = try ledger.version(number), record.state == "pending" else {
                throw ProtocolFailure(code: "not-pending", "version \(number) is not a pending version of \(home.name)")
            }
            // A refused swap leaves its number free and its folder written: the next pending version with that
            // number holds other code, so its plan writes the folder anew.
            if !command.apply { try? FileManager.default.removeItem(atPath: home.codeFolder(version: number)) }
            newEntry = try materialize(version: number, entry: record.entry)
            restores = record.restores
        } catch let failure as ProtocolFailure {
            throw failure
        } catch {
            throw ProtocolFailure(code: "not-prepared", "cannot prepare version \(number): \(error)")
        }
        if command.apply { try? ledger.record("swap-started", "version \(version) → \(number)\(restores.map { " (the code of version \($0))" } ?? "")") }
        let request = WorkerSwap(entry: newEntry, against: entry, version: number, apply: command.apply, keep: command.keep,
                                 strictFace: command.strictFace, restores: restores)
        let reply: SwapReply
        do {
            reply = try await WorkerClient(path: home.workerSocket).swap(request, timeout: .seconds(600))
        } catch let failure as ProtocolFailure {
            if command.apply { try? ledger.record("swap-failed", "version \(number): \(failure.message)") }
            throw failure
        } catch {
            // The worker died or hung mid-swap: what runs next is decided by the stored state when it restarts.
            if command.apply { try? ledger.record("swap-failed", "version \(number): the worker did not answer: \(error)") }
            throw ProtocolFailure(code: "outcome-unknown", "the worker did not answer the swap: \(error)")
        }
        guard command.apply else { return reply }
        guard let plan = reply.plan, !plan.isRefused else {
            try? ledger.record("swap-refused", "version \(number): \(reply.plan?.refusals.first?.message ?? "the new version does not check")")
            return reply
        }
        let milliseconds = plan.totalMilliseconds
        do {
            try ledger.activateVersion(number, plan: Self.encode(plan), milliseconds: milliseconds)
        } catch {
            logger.error("version \(number) runs, but the ledger did not record it: \(error); it is recovered from the state at the next start")
        }
        againstEntry = restores == nil ? entry : nil
        entry = newEntry
        version = number
        try? ledger.record("swapped", "version \(number)\(milliseconds.map { String(format: " in %.1f ms", $0) } ?? "")")
        logger.info("swapped \(home.name) to version \(number)")
        return reply
    }

    /// The plan as the ledger keeps it with the version.
    static func encode(_ plan: SwapPlan) -> String? {
        (try? JSONEncoder().encode(plan)).map { String(decoding: $0, as: UTF8.self) }
    }
}
