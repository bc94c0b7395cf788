import ArgumentParser
import Foundation
import SomaControl
import SomaLedger
import SomaResources
import SomaProtocol

/// `soma resources dead-letters NAME`: a queue's dead letters, newest first, with the error of their last attempt.
struct ResourcesDeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dead-letters",
                                                    abstract: "A queue's dead letters, newest first, with their last error.")

    @OptionGroup var selection: AppSelection
    @Argument(help: "The queue's name.") var name: String
    @Option(help: "At most this many.") var limit = 100
    @Flag(help: "Print them as a JSON array.") var json = false

    func run() async throws {
        let (home, record) = try await QueueAccess.runningQueue(selection, name)
        let letters = await AppRecords.inspection(home, record, deadLetters: max(1, limit)).deadLetters
        if json {
            print(try JSONOutput.text(letters.map(DeadLetterJSON.init)))
            return
        }
        guard !letters.isEmpty else {
            print("\(name) has no dead letters")
            return
        }
        for letter in letters {
            print("\(letter.id)  attempts \(letter.attempts)  died \(letter.diedAt)")
            print("  error  \(letter.lastError ?? "(not kept)")")
            print("  body   \(letter.body.prefix(200))")
        }
    }
}

/// `soma resources replay NAME --id ID | --all`: dead letters back into the queue, their attempts counted anew.
struct ResourcesReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay",
                                                    abstract: "Send a queue's dead letters back to be consumed again.")

    @OptionGroup var selection: AppSelection
    @Argument(help: "The queue's name.") var name: String
    @Option(help: "A dead letter's id (repeat for more).") var id: [String] = []
    @Flag(help: "Every dead letter.") var all = false

    func validate() throws {
        guard all != !id.isEmpty else { throw ValidationError("say which dead letters: --id ID (one or more), or --all") }
    }

    func run() async throws {
        let (home, record) = try await QueueAccess.runningQueue(selection, name)
        let replayed: [QueueMessage]
        do {
            replayed = try await QueueAccess.replay(home, record, ids: all ? nil : id)
        } catch let failure as ProtocolFailure {
            throw CLIFailure(failure.message, hint: failure.hint)
        }
        let missing = Set(id).subtracting(replayed.map(\.id))
        print("replayed \(replayed.count) message\(replayed.count == 1 ? "" : "s") into \(name)")
        if !missing.isEmpty {
            throw CLIFailure("\(name) has no dead letter \(missing.sorted().joined(separator: ", "))", hint: "soma resources dead-letters \(name) lists them")
        }
    }
}

/// A ready queue resource, whose process runs; asked of the supervisor, which reaches it where it lives.
enum QueueAccess {
    static func runningQueue(_ selection: AppSelection, _ name: String) async throws -> (AppHome, ResourceRecord) {
        let home = try selection.resolve()
        guard let record = try await AppRecords.resource(home, named: name) else {
            throw CLIFailure("\(home.name) has no resource named '\(name)'", hint: "soma resources list shows them")
        }
        guard record.intent.kind == .queue else { throw CLIFailure("'\(name)' is a \(record.intent.kind), not a queue") }
        guard record.state == "ready", record.pid != nil, record.endpoint != nil else {
            throw CLIFailure("queue '\(name)' is not running (\(record.state))", code: CLIExit.noApp, hint: "launch the app; its queues start with it")
        }
        return (home, record)
    }

    /// Through the supervisor, the queues' keeper (control 3.2), else reached on this machine.
    static func replay(_ home: AppHome, _ record: ResourceRecord, ids: [String]?) async throws -> [QueueMessage] {
        if let replayed = try await AppRecords.supervisorAnswer(home, { try await $0.replay(record.name, ids: ids) }) { return replayed }
        return try ResourceInspector.replay(record, ids: ids, as: .cli)
    }
}
