import Foundation
import OpenAPIKit
import SomaChecker
import SomaRuntime

/// The OpenAPI 3.1 document of a program's faces: one POST operation per signal, with JSON Schemas for every
/// parameter and result type following the JSON mapping of RUNTIME.md §3. Declared types are components.
public enum FaceOpenAPI {
    public static func document(for program: RuntimeProgram, app: String, version: String) throws -> [UInt8] {
        var paths: OpenAPI.PathItem.Map = [:]
        var referenced: Set<String> = []
        let errorSchema = JSONSchema.object(properties: [
            "error": .object(properties: [
                "code": .string, "message": .string,
                "field": .string(required: false), "location": .string(required: false),
            ]),
        ])
        for cellName in program.cellOrder {
            guard let cell = program.cells[cellName] else { continue }
            for signal in cell.model.signals {
                var properties: OrderedDictionary<String, JSONSchema> = [:]
                var required: [String] = []
                for parameter in signal.parameters {
                    properties[parameter.name] = schema(for: parameter.type, types: program.types, referenced: &referenced)
                    if parameter.type.optionWrapped == nil { required.append(parameter.name) }
                }
                let requestSchema = JSONSchema.object(
                    .init(),
                    .init(properties: properties.mapValues { schema in
                        required.isEmpty ? schema.optionalSchemaObject() : schema
                    }, additionalProperties: .init(false)))
                _ = required
                let responses: OpenAPI.Response.Map = [
                    200: .response(description: "the result of the turn",
                                   content: json(schema(for: signal.result, types: program.types, referenced: &referenced))),
                    400: .response(description: "parameters that do not match the signal's types", content: json(errorSchema)),
                    404: .response(description: "unknown cell or signal", content: json(errorSchema)),
                    409: .response(description: "the turn was aborted by the program (fail, assert, invariant, illegal move)",
                                   content: json(errorSchema)),
                    500: .response(description: "a run-time error aborted the turn; nothing changed", content: json(errorSchema)),
                    503: .response(description: "the program is shutting down"),
                ]
                let operation = OpenAPI.Operation(
                    tags: [cellName],
                    summary: "\(cellName).\(signal.name)",
                    operationId: "\(cellName)_\(signal.name)",
                    requestBody: .b(OpenAPI.Request(content: json(requestSchema), required: !required.isEmpty)),
                    responses: responses)
                paths[OpenAPI.Path(rawValue: "/\(cellName)/\(signal.name)")] = .init(post: operation)
            }
        }
        var schemas: OpenAPI.ComponentDictionary<JSONSchema> = [:]
        var done: Set<String> = []
        while let key = referenced.subtracting(done).sorted().first {
            done.insert(key)
            guard let named = program.types[key] else { continue }
            schemas[.init(stringLiteral: componentName(key))] = namedSchema(named, types: program.types, referenced: &referenced)
        }
        let document = OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(title: app, description: "The faces of \(app), served by soma", version: version),
            servers: [],
            paths: paths,
            components: .init(schemas: schemas))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(document))
    }

    static func json(_ schema: JSONSchema) -> OpenAPI.Content.Map {
        [.json: .b(OpenAPI.Content(schema: schema))]
    }

    static func componentName(_ key: String) -> String {
        key.replacingOccurrences(of: "@", with: "_v")
    }

    static func schema(for type: SomaType, types: TypeTable, referenced: inout Set<String>) -> JSONSchema {
        switch type {
        case .int: return .integer(format: .int64)
        case .float: return .number(format: .double)
        case .bool: return .boolean
        case .string: return .string
        case .bytes: return .string(contentEncoding: .base64)
        case .time: return .string(format: .dateTime)
        case .duration: return .integer(description: "milliseconds")
        case .unit: return .null()
        case .json, .unknown, .never: return .fragment(.init())
        case .option(let wrapped): return .one(of: [schema(for: wrapped, types: types, referenced: &referenced), .null()])
        case .list(let element): return .array(items: schema(for: element, types: types, referenced: &referenced))
        case .set(let element): return .array(uniqueItems: true, items: schema(for: element, types: types, referenced: &referenced))
        case .map(.string, let value), .map(.json, let value):
            return .object(additionalProperties: .init(schema(for: value, types: types, referenced: &referenced)))
        case .map(let key, let value):
            let pair = JSONSchema.array(minItems: 2, maxItems: 2, items: .one(of: [
                schema(for: key, types: types, referenced: &referenced), schema(for: value, types: types, referenced: &referenced),
            ]))
            return .array(description: "[key, value] pairs", items: pair)
        case .named(let key):
            referenced.insert(key)
            return .reference(.component(named: componentName(key)))
        case .queue, .database: return .string(description: "a resource name")
        case .table, .function, .stateMachine: return .fragment(.init())
        }
    }

    static func namedSchema(_ named: NamedType, types: TypeTable, referenced: inout Set<String>) -> JSONSchema {
        func objectSchema(_ fields: [NamedType.Field]) -> JSONSchema {
            var properties: OrderedDictionary<String, JSONSchema> = [:]
            for field in fields {
                let fieldSchema = schema(for: field.type, types: types, referenced: &referenced)
                properties[field.name] = field.isOptional ? fieldSchema.optionalSchemaObject() : fieldSchema
            }
            return .object(.init(), .init(properties: properties, additionalProperties: .init(false)))
        }
        if named.isRecord {
            return objectSchema(named.fields).with(description: "\(named.name), version \(named.version)")
        }
        let cases: [JSONSchema] = named.cases.map { variantCase in
            if variantCase.fields.isEmpty {
                return .string(allowedValues: [.init(variantCase.name)])
            }
            return .object(.init(), .init(properties: [variantCase.name: objectSchema(variantCase.fields)], additionalProperties: .init(false)))
        }
        return .one(of: cases, core: .init(description: "\(named.name), version \(named.version)"))
    }
}
