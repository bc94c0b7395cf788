import Foundation
import SomaChecker

/// Why a JSON value does not fit a Soma type: the path to the field and the reason.
public struct ValueDecodingError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

/// The JSON mapping of RUNTIME.md §3, both ways, guided by the Soma type. The same mapping serves HTTP
/// bodies and stored values, so what a client sees is what is on disk.
public struct ValueCodec: Sendable {
    public let types: TypeTable
    /// Constant field defaults (`priority: Int = 0`) by type key and field.
    let defaults: [String: [String: Value]]

    public init(types: TypeTable, defaults: [String: [String: Value]] = [:]) {
        self.types = types
        self.defaults = defaults
    }

    // MARK: - Encoding

    public func encode(_ value: Value, as type: SomaType) -> String {
        var writer = JSONWriter()
        write(value, as: type, into: &writer)
        return writer.text
    }

    public func encodeBytes(_ value: Value, as type: SomaType) -> [UInt8] {
        var writer = JSONWriter()
        write(value, as: type, into: &writer)
        return writer.output
    }

    func write(_ value: Value, as type: SomaType, into writer: inout JSONWriter) {
        switch value {
        case .unit, .null, .none: writer.raw("null")
        case .bool(let bool): writer.raw(bool ? "true" : "false")
        case .int(let int):
            if type == .float { writer.number(Double(int)) } else { writer.raw(String(int)) }
        case .float(let double): writer.number(double)
        case .string(let string): writer.string(string)
        case .bytes(let bytes): writer.string(Data(bytes).base64EncodedString())
        case .time(let milliseconds): writer.string(Self.formatTime(milliseconds))
        case .duration(let milliseconds): writer.raw(String(milliseconds))
        case .some(let wrapped): write(wrapped, as: type.optionWrapped ?? type, into: &writer)
        case .list(let elements):
            let element = Self.elementType(of: type)
            writer.raw("[")
            for (index, item) in elements.enumerated() {
                if index > 0 { writer.raw(",") }
                write(item, as: element, into: &writer)
            }
            writer.raw("]")
        case .set(let elements):
            write(.list(elements.sorted(by: Value.precedes)), as: .list(Self.elementType(of: type)), into: &writer)
        case .map(let entries):
            var keyType: SomaType = .json
            var valueType: SomaType = .json
            if case .map(let key, let value) = type {
                keyType = key
                valueType = value
            }
            let keys = entries.keys.sorted(by: Value.precedes)
            let stringKeys = keys.allSatisfy { if case .string = $0 { return true } else { return false } }
            if stringKeys && (keyType == .string || keyType.isDynamic) {
                writer.raw("{")
                for (index, key) in keys.enumerated() {
                    if index > 0 { writer.raw(",") }
                    if case .string(let name) = key { writer.string(name) }
                    writer.raw(":")
                    write(entries[key]!, as: valueType, into: &writer)
                }
                writer.raw("}")
            } else {
                writer.raw("[")
                for (index, key) in keys.enumerated() {
                    if index > 0 { writer.raw(",") }
                    writer.raw("[")
                    write(key, as: keyType, into: &writer)
                    writer.raw(",")
                    write(entries[key]!, as: valueType, into: &writer)
                    writer.raw("]")
                }
                writer.raw("]")
            }
        case .record(let typeKey, let fields):
            writer.raw("{")
            var first = true
            if let named = types[typeKey] {
                for field in named.fields {
                    guard let fieldValue = fields[field.name] else { continue }
                    if !first { writer.raw(",") }
                    first = false
                    writer.string(field.name)
                    writer.raw(":")
                    write(fieldValue, as: field.type, into: &writer)
                }
            } else {
                for name in fields.keys.sorted() {
                    if !first { writer.raw(",") }
                    first = false
                    writer.string(name)
                    writer.raw(":")
                    write(fields[name]!, as: .json, into: &writer)
                }
            }
            writer.raw("}")
        case .variant(let typeKey, let name, let fields):
            if fields.isEmpty {
                writer.string(name)
                return
            }
            writer.raw("{")
            writer.string(name)
            writer.raw(":{")
            let declared = types[typeKey]?.variantCase(name)?.fields ?? []
            var first = true
            for field in declared where fields[field.name] != nil {
                if !first { writer.raw(",") }
                first = false
                writer.string(field.name)
                writer.raw(":")
                write(fields[field.name]!, as: field.type, into: &writer)
            }
            writer.raw("}}")
        case .resource(_, let name): writer.string(name)
        case .table(let database, let table): writer.string("\(database).\(table)")
        case .machine(let cell, let name): writer.string("\(cell).\(name)")
        case .function: writer.raw("null")
        }
    }

    static func elementType(of type: SomaType) -> SomaType {
        switch type {
        case .list(let element), .set(let element): return element
        default: return .json
        }
    }

    static func formatTime(_ milliseconds: Int) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func parseTime(_ text: String) -> Int? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return Int((date.timeIntervalSince1970 * 1000).rounded())
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) {
            return Int((date.timeIntervalSince1970 * 1000).rounded())
        }
        return nil
    }

    // MARK: - Decoding

    /// A value held as `actual` (Json, or a collection of it) read as `type`: written out as JSON and read back
    /// the way a request body is, so the one mapping decides what fits. `path` names the value in errors.
    public func conform(_ value: Value, from actual: SomaType, to type: SomaType, path: String) throws(ValueDecodingError) -> Value {
        let json: JSONValue
        do {
            json = try JSONValue.parse(encodeBytes(value, as: actual))
        } catch {
            throw ValueDecodingError(path: path, reason: "has no JSON form (\(error))")
        }
        return try decode(json, as: type, path: path)
    }

    public func decode(_ json: JSONValue, as type: SomaType, path: String = "") throws(ValueDecodingError) -> Value {
        func mismatch(_ form: String? = nil) -> ValueDecodingError {
            let expected = form.map { "\(type.plainDescription) (\($0))" } ?? type.plainDescription
            return ValueDecodingError(path: path, reason: "expected \(expected), got \(json.typeName)")
        }
        switch type {
        case .int:
            // An Int is exact or refused: `1.0`, `1e2` and integers past 64 bits are not Ints.
            if case .int(let int) = json { return .int(int) }
            if case .largeInteger(let text) = json {
                throw ValueDecodingError(path: path, reason: "expected Int, got \(text), outside Int's 64-bit range")
            }
            throw mismatch()
        case .float:
            if case .int(let int) = json { return .float(Double(int)) }
            if case .double(let double) = json { return .float(double) }
            if case .largeInteger(let text) = json, let double = Double(text), double.isFinite { return .float(double) }
            throw mismatch()
        case .bool:
            if case .bool(let bool) = json { return .bool(bool) }
            throw mismatch()
        case .string:
            if case .string(let string) = json { return .string(string) }
            throw mismatch()
        case .bytes:
            guard case .string(let string) = json else { throw mismatch("base64 text") }
            guard let data = Data(base64Encoded: string) else {
                throw ValueDecodingError(path: path, reason: "expected Bytes (base64 text), got a String that is not base64")
            }
            return .bytes(Array(data))
        case .unit:
            return .unit
        case .time:
            guard case .string(let string) = json else { throw mismatch("RFC 3339 text") }
            guard let milliseconds = Self.parseTime(string) else {
                throw ValueDecodingError(path: path, reason: "expected Time (RFC 3339 text such as \"2026-01-31T12:00:00Z\"), got \"\(string)\"")
            }
            return .time(milliseconds)
        case .duration:
            if case .int(let int) = json { return .duration(int) }
            throw mismatch("milliseconds, an integer")
        case .json, .unknown, .never:
            return try Self.dynamic(json, path: path)
        case .option(let wrapped):
            if case .null = json { return .none }
            return .some(try decode(json, as: wrapped, path: path))
        case .list(let element):
            guard case .array(let items) = json else { throw mismatch("an array") }
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                values.append(try decode(item, as: element, path: "\(path)[\(index)]"))
            }
            return .list(values)
        case .set(let element):
            guard case .array(let items) = json else { throw mismatch("an array") }
            var values = Set<Value>()
            for (index, item) in items.enumerated() {
                values.insert(try decode(item, as: element, path: "\(path)[\(index)]"))
            }
            return .set(values)
        case .map(let keyType, let valueType):
            var entries: [Value: Value] = [:]
            if case .object(let fields) = json, keyType == .string || keyType.isDynamic {
                for (name, item) in fields {
                    entries[.string(name)] = try decode(item, as: valueType, path: Self.join(path, name))
                }
                return .map(entries)
            }
            guard case .array(let pairs) = json else { throw mismatch(keyType == .string ? "an object" : "an array of [key, value] pairs") }
            for (index, pair) in pairs.enumerated() {
                guard case .array(let parts) = pair, parts.count == 2 else {
                    throw ValueDecodingError(path: "\(path)[\(index)]", reason: "expected a [key, value] pair")
                }
                let key = try decode(parts[0], as: keyType, path: "\(path)[\(index)][0]")
                entries[key] = try decode(parts[1], as: valueType, path: "\(path)[\(index)][1]")
            }
            return .map(entries)
        case .named(let key):
            guard let named = types[key] else { return try Self.dynamic(json, path: path) }
            if named.isRecord {
                guard case .object(let object) = json else { throw mismatch("an object") }
                return .record(type: key, fields: try decodeFields(named.fields, from: object, typeKey: key, path: path))
            }
            return try decodeVariant(json, named: named, path: path)
        case .queue, .database:
            guard case .string(let name) = json else { throw mismatch("a resource name") }
            return .resource(kind: type.description, name: name)
        case .table, .function, .stateMachine:
            throw ValueDecodingError(path: path, reason: "\(type) has no JSON form")
        }
    }

    func decodeFields(_ fields: [NamedType.Field], from object: [String: JSONValue], typeKey: String, path: String) throws(ValueDecodingError) -> [String: Value] {
        var values: [String: Value] = [:]
        for field in fields {
            let fieldPath = Self.join(path, field.name)
            if let item = object[field.name] ?? field.alias.flatMap({ object[$0] }) {
                values[field.name] = try decode(item, as: field.type, path: fieldPath)
            } else if let fallback = defaults[typeKey]?[field.name] {
                values[field.name] = fallback
            } else if field.type.optionWrapped != nil {
                values[field.name] = Value.none
            } else {
                throw ValueDecodingError(path: fieldPath, reason: "missing field of type \(field.type)")
            }
        }
        let known = Set(fields.map(\.name) + fields.compactMap(\.alias))
        if let extra = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ValueDecodingError(path: Self.join(path, extra), reason: "unknown field; expected \(fields.map(\.name).joined(separator: ", "))")
        }
        return values
    }

    func decodeVariant(_ json: JSONValue, named: NamedType, path: String) throws(ValueDecodingError) -> Value {
        let names = named.cases.map(\.name).joined(separator: ", ")
        switch json {
        case .string(let name):
            guard let variantCase = named.variantCase(name) else {
                throw ValueDecodingError(path: path, reason: "unknown case \"\(name)\" of \(named.name); expected one of \(names)")
            }
            guard variantCase.fields.allSatisfy(\.isOptional) else {
                throw ValueDecodingError(path: path, reason: "case \(name) carries \(variantCase.fields.map(\.name).joined(separator: ", ")): write {\"\(name)\": {...}}")
            }
            return .variant(type: named.key, name: name, fields: try decodeFields(variantCase.fields, from: [:], typeKey: named.key, path: path))
        case .object(let object) where object.count == 1:
            let (name, payload) = object.first!
            guard let variantCase = named.variantCase(name) else {
                throw ValueDecodingError(path: path, reason: "unknown case \"\(name)\" of \(named.name); expected one of \(names)")
            }
            guard case .object(let fields) = payload else {
                throw ValueDecodingError(path: Self.join(path, name), reason: "expected an object of the case's fields, got \(payload.typeName)")
            }
            return .variant(type: named.key, name: name,
                            fields: try decodeFields(variantCase.fields, from: fields, typeKey: named.key, path: Self.join(path, name)))
        default:
            throw ValueDecodingError(path: path, reason: "expected a case of \(named.name) (\(names)) as \"Case\" or {\"Case\": {...}}, got \(json.typeName)")
        }
    }

    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    /// A `Json` value: objects become String-keyed maps, arrays lists, numbers Int or Float. An integer past
    /// 64 bits is refused rather than rounded into a Float.
    static func dynamic(_ json: JSONValue, path: String) throws(ValueDecodingError) -> Value {
        switch json {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .int(let int): return .int(int)
        case .double(let double): return .float(double)
        case .largeInteger(let text):
            throw ValueDecodingError(path: path, reason: "the integer \(text) is outside Int's 64-bit range; send it as a String, or as a Float with a fraction")
        case .string(let string): return .string(string)
        case .array(let items):
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for (index, item) in items.enumerated() { values.append(try dynamic(item, path: "\(path)[\(index)]")) }
            return .list(values)
        case .object(let fields):
            var entries: [Value: Value] = [:]
            for (name, item) in fields { entries[.string(name)] = try dynamic(item, path: join(path, name)) }
            return .map(entries)
        }
    }
}
