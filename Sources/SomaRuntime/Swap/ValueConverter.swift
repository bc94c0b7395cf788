import SomaChecker
import SomaSyntax

/// Brings the in-memory values of one slot from the running program's type to the new program's.
///
/// A value whose own type runs a `migrate` chain, and holds nothing whose type changes, is handed to the chain
/// as it is in memory: it already has the old shape. Anything else goes through its stored form: written by
/// the running program, read back as the old shape and brought up by `ValueUpgrader`, read as the new type.
/// Keeps an evaluator and the chain's functions between values, so one converter serves one thread.
final class ValueConverter {
    private let upgrader: ValueUpgrader
    private let running: RuntimeProgram
    /// The type the running program wrote the values with, the same as the new program knows its old shape,
    /// and the new type.
    private let written: SomaType, from: SomaType, to: SomaType
    private let path: String
    private let chain: Chain?

    private struct Chain {
        var oldKey: String
        var evaluator: Evaluator
        var steps: [(migration: MigrateDeclaration, function: Value)]
    }

    init(upgrader: ValueUpgrader, running: RuntimeProgram, written: SomaType, from: SomaType, to: SomaType,
         affected: Set<String>, path: String) {
        self.upgrader = upgrader
        self.running = running
        self.written = written
        self.from = from
        self.to = to
        self.path = path
        chain = Self.chain(upgrader.program, from: from, to: to, affected: affected)
    }

    /// The migrate chain a value of `from` runs as it is, when it can.
    private static func chain(_ program: RuntimeProgram, from: SomaType, to: SomaType, affected: Set<String>) -> Chain? {
        guard case .named(let oldKey) = from, case .named(let newKey) = to, let current = program.types[newKey],
              let oldVersion = TypeKey.version(oldKey), oldVersion < current.version, let oldShape = program.types[oldKey] else { return nil }
        let inside = oldShape.fields.map(\.type) + oldShape.cases.flatMap { $0.fields.map(\.type) }
        guard !inside.contains(where: { $0.mentions(anyOf: affected) }) else { return nil }
        let evaluator = Evaluator(program: program, turn: nil)
        var steps: [(MigrateDeclaration, Value)] = []
        for step in oldVersion..<current.version {
            guard let migration = program.migrations[current.name]?[step],
                  let function = try? evaluator.evaluate(migration.function) else { return nil }
            steps.append((migration, function))
        }
        return Chain(oldKey: oldKey, evaluator: evaluator, steps: steps)
    }

    func convert(_ value: Value) throws(MigrationFailure) -> Value {
        guard let chain else {
            let json: JSONValue
            do {
                json = try JSONValue.parse(running.codec.encode(value, as: written))
            } catch {
                throw MigrationFailure(message: "the value does not encode: \(error)")
            }
            return try upgrader.upgrade(json, from: from, to: to, path: path)
        }
        var result: Value
        switch value {
        case .record(_, let fields): result = .record(type: chain.oldKey, fields: fields)
        case .variant(_, let name, let fields): result = .variant(type: chain.oldKey, name: name, fields: fields)
        default: result = value
        }
        for (migration, function) in chain.steps {
            chain.evaluator.steps = 0
            do {
                result = try chain.evaluator.apply(function, [result], span: migration.function.span)
            } catch {
                throw MigrationFailure(migration, failed: error)
            }
        }
        return result
    }
}
