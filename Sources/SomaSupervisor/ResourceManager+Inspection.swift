import SomaControl
import SomaProtocol
import SomaResources

extension ResourceManager {
    /// What `soma resources list/show/dead-letters` read from a resource, read where the resource lives.
    func inspect(_ name: String, deadLetters: Int) async throws(ProtocolFailure) -> ResourceInspection {
        let record = try self.record(named: name)
        return await OwnThread.run { ResourceInspector.inspect(record, deadLetters: max(0, deadLetters), as: .supervisor) }
    }

    /// `soma resources replay`: a queue's dead letters back into it.
    func replay(_ name: String, ids: [String]?) async throws(ProtocolFailure) -> [QueueMessage] {
        let record = try self.record(named: name)
        let result = await OwnThread.run { () -> Result<[QueueMessage], ProtocolFailure> in
            Result { () throws(ProtocolFailure) in try ResourceInspector.replay(record, ids: ids, as: .supervisor) }
        }
        let replayed = try result.get()
        logger.notice("replayed \(replayed.count) dead letter\(replayed.count == 1 ? "" : "s") into queue \(name)")
        return replayed
    }

    /// The ledger's row for `name`: `no-such-resource` when there is none, the ledger's failure as it is.
    func record(named name: String) throws(ProtocolFailure) -> ResourceRecord {
        let found: ResourceRecord?
        do {
            found = try ledger.resource(name)
        } catch {
            throw ProtocolFailure(error)
        }
        guard let found else {
            throw ProtocolFailure(code: "no-such-resource", "\(home.name) has no resource named '\(name)'", hint: "soma resources list shows them")
        }
        return found
    }
}
