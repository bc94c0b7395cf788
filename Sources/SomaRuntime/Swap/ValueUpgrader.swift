import SomaChecker
import SomaSyntax

/// Why a stored value could not be brought to the new version: which value, and the error.
public struct MigrationFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    init(message: String) {
        self.message = message
    }

    /// A `migrate` step that aborted.
    init(_ migration: MigrateDeclaration, failed error: any Error) {
        message = "migrate \(migration.typeName) from \(migration.from) to \(migration.to) failed: \(error)"
    }
}

/// Brings a value stored under an older version of the program to the current one: a type whose version went
/// up runs its `migrate` chain; a type whose shape changed compatibly is read as it is (renamed fields by their
/// alias, new fields by their default or None), and the values it contains are brought up the same way.
/// The program must have been checked against the older one, so its type table holds the old shapes
/// (`Order@1`); a step whose old shape is not known gets the old value as Json.
///
/// A rollback goes the other way: a value stored at a later version than the program's is brought back by the
/// reverse steps (`migrate T from n to n-1`) of `previous`, the running program that declared them.
struct ValueUpgrader {
    let program: RuntimeProgram
    var previous: RuntimeProgram?

    /// A queue's element type as a message of an older version was written: its own shape at that version.
    static func element(_ element: SomaType, writtenAt version: Int) -> SomaType {
        guard case .named(let key) = element else { return element }
        return element.snapshotted(versions: [key: version])
    }

    /// The stored JSON of a value of `old` (a type of the older program, with its named types as old shapes)
    /// as a value of `new`.
    func upgrade(_ json: JSONValue, from old: SomaType, to new: SomaType, path: String) throws(MigrationFailure) -> Value {
        let upgraded = try upgradeJSON(json, from: old, to: new, path: path)
        do {
            return try program.codec.decode(upgraded, as: new, path: path)
        } catch {
            throw MigrationFailure(message: "the migrated value does not read as \(new.plainDescription): \(error)")
        }
    }

    func upgradeJSON(_ json: JSONValue, from old: SomaType, to new: SomaType, path: String) throws(MigrationFailure) -> JSONValue {
        switch (old, new) {
        case (.named(let oldKey), .named(let newKey)):
            return try upgradeNamed(json, oldKey: oldKey, newKey: newKey, path: path)
        case (.option(let a), .option(let b)):
            if case .null = json { return .null }
            return try upgradeJSON(json, from: a, to: b, path: path)
        case (_, .option(let b)):
            return try upgradeJSON(json, from: old, to: b, path: path)
        case (.list(let a), .list(let b)), (.set(let a), .set(let b)):
            guard case .array(let items) = json else { return json }
            var result: [JSONValue] = []
            for (index, item) in items.enumerated() { result.append(try upgradeJSON(item, from: a, to: b, path: "\(path)[\(index)]")) }
            return .array(result)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            switch json {
            case .object(let entries):
                var result: [String: JSONValue] = [:]
                for (key, item) in entries { result[key] = try upgradeJSON(item, from: v1, to: v2, path: "\(path)[\(key)]") }
                return .object(result)
            case .array(let pairs):
                var result: [JSONValue] = []
                for pair in pairs {
                    guard case .array(let parts) = pair, parts.count == 2 else { return json }
                    result.append(.array([try upgradeJSON(parts[0], from: k1, to: k2, path: path), try upgradeJSON(parts[1], from: v1, to: v2, path: path)]))
                }
                return .array(result)
            default:
                return json
            }
        default:
            return json
        }
    }

    func upgradeNamed(_ json: JSONValue, oldKey: String, newKey: String, path: String) throws(MigrationFailure) -> JSONValue {
        guard let current = program.types[newKey] else { return json }
        let oldVersion = TypeKey.version(oldKey) ?? current.version
        if oldVersion < current.version {
            return try migrate(json, oldKey: oldKey, from: oldVersion, to: current, path: path)
        }
        if oldVersion > current.version {
            return try migrateBack(json, from: oldVersion, to: current, path: path)
        }
        guard let before = program.types[oldKey], oldKey != newKey else { return json }
        switch (before.shape, current.shape, json) {
        case (.record(let oldFields), .record(let newFields), .object(let object)):
            return .object(try upgradeFields(object, oldFields, newFields, path: path))
        case (.variant(let oldCases), .variant(let newCases), .object(let object)) where object.count == 1:
            let (name, payload) = object.first!
            guard let oldCase = oldCases.first(where: { $0.name == name }), let newCase = newCases.first(where: { $0.name == name }),
                  case .object(let fields) = payload else { return json }
            return .object([name: .object(try upgradeFields(fields, oldCase.fields, newCase.fields, path: "\(path).\(name)"))])
        default:
            return json
        }
    }

    /// Each old field under its new name (a field renamed with @alias), brought up to the new field's type.
    /// Fields the new shape lacks are left out; fields it adds are filled by the decoder (default or None).
    func upgradeFields(_ object: [String: JSONValue], _ oldFields: [NamedType.Field], _ newFields: [NamedType.Field],
                       path: String) throws(MigrationFailure) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for newField in newFields {
            guard let oldField = oldFields.first(where: { $0.name == newField.name }) ?? oldFields.first(where: { $0.name == newField.alias })
                    ?? oldFields.first(where: { $0.alias != nil && $0.alias == newField.name }),
                  let value = object[oldField.name] else { continue }
            result[newField.name] = try upgradeJSON(value, from: oldField.type, to: newField.type, path: "\(path).\(newField.name)")
        }
        return result
    }

    /// Runs `migrate T from v to v+1`, … up to the current version. The first step gets the old shape when the
    /// program knows it (else Json); the steps between get what the one before gave.
    func migrate(_ json: JSONValue, oldKey: String, from version: Int, to current: NamedType, path: String) throws(MigrationFailure) -> JSONValue {
        let value = try migratedValue(json, oldKey: oldKey, from: version, to: current, path: path)
        let encoded = program.codec.encode(value, as: .named(current.key))
        do {
            return try JSONValue.parse(encoded)
        } catch {
            throw MigrationFailure(message: "migrate \(current.name) gave a value that does not encode: \(error)")
        }
    }

    func migratedValue(_ json: JSONValue, oldKey: String, from version: Int, to current: NamedType, path: String) throws(MigrationFailure) -> Value {
        var value: Value
        if program.types[oldKey] != nil {
            do {
                value = try program.codec.decode(json, as: .named(oldKey), path: path)
            } catch {
                throw MigrationFailure(message: "the stored value does not read as \(current.name) version \(version): \(error)")
            }
        } else {
            do {
                value = try ValueCodec.dynamic(json, path: path)
            } catch {
                throw MigrationFailure(message: "the stored value does not read as Json: \(error)")
            }
        }
        for step in version..<current.version {
            guard let migration = program.migrations[current.name]?[step] else {
                throw MigrationFailure(message: "no migration of \(current.name) from version \(step) to \(step + 1)")
            }
            value = try Self.run(migration, on: value, in: program)
        }
        return value
    }

    /// One `migrate` step, evaluated in the program that declares it.
    static func run(_ migration: MigrateDeclaration, on value: Value, in program: RuntimeProgram) throws(MigrationFailure) -> Value {
        let evaluator = Evaluator(program: program, turn: nil)
        do {
            let function = try evaluator.evaluate(migration.function)
            return try evaluator.apply(function, [value], span: migration.function.span)
        } catch {
            throw MigrationFailure(migration, failed: error)
        }
    }

    /// Runs the running program's `migrate T from v to v-1`, … down to the new program's version, in the
    /// running program (the steps may use its helpers and types).
    func migrateBack(_ json: JSONValue, from version: Int, to target: NamedType, path: String) throws(MigrationFailure) -> JSONValue {
        guard let previous else {
            throw MigrationFailure(message: "a value of \(target.name) is at version \(version), later than this program's \(target.version)")
        }
        var value: Value
        if previous.types[target.name]?.version == version {
            do {
                value = try previous.codec.decode(json, as: .named(target.name), path: path)
            } catch {
                throw MigrationFailure(message: "the stored value does not read as \(target.name) version \(version): \(error)")
            }
        } else {
            do {
                value = try ValueCodec.dynamic(json, path: path)
            } catch {
                throw MigrationFailure(message: "the stored value does not read as Json: \(error)")
            }
        }
        for step in stride(from: version, to: target.version, by: -1) {
            guard let migration = previous.reverseMigrations[target.name]?[step] else {
                throw MigrationFailure(message: "no migration of \(target.name) from version \(step) back to \(step - 1)")
            }
            value = try Self.run(migration, on: value, in: previous)
        }
        do {
            return try JSONValue.parse(program.codec.encode(value, as: .named(target.key)))
        } catch {
            throw MigrationFailure(message: "migrate \(target.name) back gave a value that does not encode: \(error)")
        }
    }
}
