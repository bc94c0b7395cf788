import Foundation
import SomaControl
import SomaLedger

extension Supervisor {
    /// `swap` from the CLI: `version` (a pending version the CLI recorded in the ledger), `apply` ("true" to
    /// apply, else only the plan), `keep` (with a plan: the swap follows, so the worker keeps its dry run). The worker plans and applies; the supervisor materializes the code and, once
    /// the worker has switched, makes the version current in the ledger and runs it from then on.
    func swap(_ arguments: [String: String]) async -> ControlReply {
        guard let number = arguments["version"].flatMap(Int.init) else { return .failure("swap needs the version to swap to") }
        guard workerPID != nil, state == "running" else {
            return .failure("\(home.name) is \(state): a swap needs a running program", fields: ["code": "not-running"])
        }
        guard !swapping else { return .failure("another swap of \(home.name) is in progress", fields: ["code": "busy"]) }
        swapping = true
        defer { swapping = false }
        let newEntry: String
        var restores: Int?
        do {
            guard let record = try ledger.version(number), record.state == "pending" else {
                return .failure("version \(number) is not a pending version of \(home.name)")
            }
            // A refused swap leaves its number free and its folder written: the next pending version with that
            // number holds other code, so its plan writes the folder anew.
            if arguments["apply"] != "true" { try? FileManager.default.removeItem(atPath: home.codeFolder(version: number)) }
            newEntry = try materialize(version: number, entry: record.entry)
            restores = record.restores
        } catch {
            return .failure("cannot prepare version \(number): \(error)")
        }
        let apply = arguments["apply"] == "true"
        if apply { try? ledger.record("swap-started", "version \(version) → \(number)\(restores.map { " (the code of version \($0))" } ?? "")") }
        var request = ["entry": newEntry, "against": entry, "version": String(number), "apply": apply ? "true" : "false",
                       "keep": arguments["keep"] == "true" ? "true" : "false", "strict_face": arguments["strict_face"] == "true" ? "true" : "false"]
        if let restores { request["restores"] = String(restores) }
        let reply: ControlReply
        do {
            reply = try await ControlClient(path: home.workerSocket).call(ControlRequest("swap", request), timeout: .seconds(600))
        } catch {
            // The worker died or hung mid-swap: what runs next is decided by the stored state when it restarts.
            if apply { try? ledger.record("swap-failed", "version \(number): the worker did not answer: \(error)") }
            return .failure("the worker did not answer the swap: \(error)", fields: ["code": "outcome-unknown"])
        }
        guard apply else { return reply }
        guard reply.ok else {
            try? ledger.record("swap-refused", "version \(number): \(reply.message ?? "refused")")
            return reply
        }
        let milliseconds = reply.fields["plan"].flatMap { Self.totalMilliseconds(ofPlan: $0) }
        do {
            try ledger.activateVersion(number, plan: reply.fields["plan"], milliseconds: milliseconds)
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

    static func totalMilliseconds(ofPlan json: String) -> Double? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return object["totalMilliseconds"] as? Double
    }
}
