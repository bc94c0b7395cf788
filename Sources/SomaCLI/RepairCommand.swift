import Foundation
import ArgumentParser
import SomaControl
import SomaProtocol
import SomaRuntime

/// `soma repair`: the stored values that did not read when the worker started (quarantined), and the two ways
/// out of quarantine, each a turn the supervisor records in the ledger.
struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "List stored values that do not read, and remove or replace one.",
        discussion: """
            A stored value that does not read as its slot's type (a bug, a hand edit, a disk fault) is quarantined \
            when the worker starts: the program serves, and only turns that touch that key fail, with code \
            `quarantined`. `remove` and `replace` run as a turn of the cell (its invariants must hold) and are \
            recorded in the app's ledger. Exit code 1 when there is nothing to repair there or the repair is refused.
            """,
        subcommands: [RepairList.self, RepairRemove.self, RepairReplace.self],
        defaultSubcommand: RepairList.self)
}

struct RepairList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The quarantined values, with the error of each.")

    @OptionGroup var selection: AppSelection
    @Flag(help: "Print them as a JSON array.") var json = false

    func run() async throws {
        let (home, values) = try await Self.quarantined(selection)
        if json {
            print(String(decoding: try JSONEncoder.sorted.encode(values), as: UTF8.self))
            return
        }
        guard !values.isEmpty else {
            print("\(home.name): every stored value reads; nothing is quarantined")
            return
        }
        print("\(home.name): \(values.count) stored value\(values.count == 1 ? "" : "s") quarantined")
        for value in values {
            print("  \(value.subject)  (version \(value.version))")
            print("    error   \(value.error)")
            print("    stored  \(value.stored)")
        }
    }

    static func quarantined(_ selection: AppSelection) async throws -> (AppHome, [QuarantinedValue]) {
        let home = try selection.resolve()
        try home.requireRunning()
        return (home, try await ControlClient(path: home.controlSocket).quarantined())
    }
}

/// What `remove` and `replace` share: the slot, the key, and the call to the supervisor.
struct RepairTarget: ParsableArguments {
    @OptionGroup var selection: AppSelection
    @Argument(help: ArgumentHelp("The memory slot.", valueName: "CELL.SLOT")) var target: String
    @Option(help: "The key in a Map slot, as `soma repair list` shows it (a String key may be given without its quotes).")
    var key: String?

    func validate() throws {
        let parts = target.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("the slot is written CELL.SLOT, as in Shop.orders, not '\(target)'")
        }
    }

    func send(_ action: RepairOrder.Action, verb: String) async throws {
        let (home, values) = try await RepairList.quarantined(selection)
        let parts = target.split(separator: ".").map(String.init)
        let inSlot = values.filter { $0.cell == parts[0] && $0.slot == parts[1] }
        let wanted = key ?? ""
        let quoted = String(decoding: (try? JSONEncoder().encode(wanted)) ?? Data(), as: UTF8.self)
        guard let found = inSlot.first(where: { $0.key == wanted }) ?? inSlot.first(where: { $0.key == quoted }) else {
            let keys = inSlot.map(\.key).filter { !$0.isEmpty }
            throw CLIFailure("nothing is quarantined at \(target)\(key.map { " key \($0)" } ?? ""); nothing was changed",
                             hint: keys.isEmpty ? "soma repair list shows what is quarantined" : "its quarantined keys: \(keys.prefix(5).joined(separator: ", "))")
        }
        do {
            _ = try await ControlClient(path: home.controlSocket).repair(RepairOrder(cell: found.cell, slot: found.slot, key: found.key, action: action))
        } catch let failure as ProtocolFailure {
            throw CLIFailure("\(found.subject) was not \(verb): [\(failure.code)] \(failure.message); nothing was changed")
        }
        print("\(verb) \(found.subject); recorded in the ledger")
    }
}

struct RepairRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove",
                                                    abstract: "Delete a quarantined value: the key reads as absent, a scalar slot as its initial value.")

    @OptionGroup var target: RepairTarget

    func run() async throws {
        try await target.send(.remove, verb: "removed")
    }
}

struct RepairReplace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replace",
                                                    abstract: "Store a new value in place of a quarantined one.")

    @OptionGroup var target: RepairTarget
    @Option(help: ArgumentHelp("The new value as JSON; it must read as the slot's type.", valueName: "JSON")) var value: String

    func run() async throws {
        try await target.send(.replace(json: value), verb: "replaced")
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
