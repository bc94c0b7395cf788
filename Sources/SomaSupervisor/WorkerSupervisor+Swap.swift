import Foundation
import SomaControl
import SomaLedger
import SomaProtocol

extension WorkerSupervisor {
    /// `swap` from the CLI, with the new code. The supervisor records it as a pending version, the worker plans
    /// and applies; once the worker has switched, the version becomes current in the ledger and runs from then
    /// on. A version not applied is discarded, except when the outcome is unknown (the worker did not answer):
    /// then the stored state decides at the worker's next start, and it may be at the pending version.
    func swap(_ command: SwapOrder) async throws(ProtocolFailure) -> SwapReply {
        guard workerPID != nil, state == .running else {
            throw ProtocolFailure(code: "not-running", "\(home.name) is \(state.rawValue): a swap needs a running program")
        }
        guard !swapping else { throw ProtocolFailure(code: "busy", "another swap of \(home.name) is in progress") }
        guard command.from == version else {
            throw ProtocolFailure(code: "conflict", "\(home.name) runs version \(version) now, not \(command.from) as the new code was checked against; nothing was changed",
                                  hint: "check the code again and swap again")
        }
        swapping = true
        defer { swapping = false }
        if let served = try? await WorkerClient(path: home.workerSocket).health(timeout: .seconds(5)).version, served != version {
            // A swap reached its commit point and was not recorded yet: the worker serves that version, and a new
            // pending version must not replace it.
            throw ProtocolFailure(code: "busy", "the worker of \(home.name) serves version \(served), the ledger says \(version); nothing was changed",
                                  hint: "wait until soma status shows version \(served), then try again")
        }
        let number: Int
        let newEntry: String
        do {
            number = try ledger.addPendingVersion(command.code, restores: command.restores)
            // A discarded pending version leaves its number free and may have left its folder: the code under
            // that number now is this one.
            try? FileManager.default.removeItem(atPath: home.codeFolder(version: number))
            newEntry = try materialize(version: number, entry: command.code.entry)
        } catch {
            throw ProtocolFailure(code: "not-prepared", "cannot record the new code of \(home.name): \(error)")
        }
        var keepPending = false
        defer { if !keepPending { try? ledger.discardPendingVersion(number) } }
        let restores = command.restores
        if command.apply { try? ledger.record("swap-started", "version \(version) → \(number)\(restores.map { " (the code of version \($0))" } ?? "")") }
        let request = WorkerSwap(entry: newEntry, against: entry, version: number, apply: command.apply, keep: command.keep,
                                 strictFace: command.strictFace, restores: restores)
        var reply: SwapReply
        do {
            reply = try await WorkerClient(path: home.workerSocket).swap(request, timeout: .seconds(600))
        } catch let failure as ProtocolFailure {
            if command.apply { try? ledger.record("swap-failed", "version \(number): \(failure.message)") }
            throw failure
        } catch {
            // The worker died or hung mid-swap: what runs next is decided by the stored state when it restarts.
            keepPending = command.apply
            if command.apply { try? ledger.record("swap-failed", "version \(number): the worker did not answer: \(error)") }
            throw ProtocolFailure(code: "outcome-unknown", "the worker did not answer the swap: \(error)")
        }
        reply.version = number
        guard command.apply else { return reply }
        guard let plan = reply.plan, !plan.isRefused else {
            try? ledger.record("swap-refused", "version \(number): \(reply.plan?.refusals.first?.message ?? "the new version does not check")")
            return reply
        }
        keepPending = true
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
