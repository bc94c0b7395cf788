import Foundation
import SomaProtocol

/// The options of a `QueueService<T>`, as they travel in the ledger and to providers.
public struct QueueOptions: Codable, Sendable, Equatable {
    public var maxAttempts: Int
    public var visibilityMilliseconds: Int
    /// `retry_base` and `retry_cap`: a failed attempt waits base · 2^(attempt-1), at most cap, half of it random.
    public var retryBaseMilliseconds: Int
    public var retryCapMilliseconds: Int

    public static let defaultRetryBase = 1_000, defaultRetryCap = 300_000

    public init(maxAttempts: Int = 5, visibilityMilliseconds: Int = 30_000, retryBaseMilliseconds: Int = QueueOptions.defaultRetryBase,
                retryCapMilliseconds: Int = QueueOptions.defaultRetryCap) {
        self.maxAttempts = maxAttempts
        self.visibilityMilliseconds = visibilityMilliseconds
        self.retryBaseMilliseconds = retryBaseMilliseconds
        self.retryCapMilliseconds = retryCapMilliseconds
    }

    /// Ledger rows written before retries backed off have no retry settings: they take the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxAttempts = try container.decode(Int.self, forKey: .maxAttempts)
        visibilityMilliseconds = try container.decode(Int.self, forKey: .visibilityMilliseconds)
        retryBaseMilliseconds = try container.decodeIfPresent(Int.self, forKey: .retryBaseMilliseconds) ?? Self.defaultRetryBase
        retryCapMilliseconds = try container.decodeIfPresent(Int.self, forKey: .retryCapMilliseconds) ?? Self.defaultRetryCap
    }
}

/// The options of a `Database<S>`: the tables its schema lays out, and for a server engine (`postgres`) the
/// port soma.toml asks for (`[resources.NAME] port`); a free one is chosen otherwise.
public struct DatabaseOptions: Codable, Sendable, Equatable {
    public var layout: DatabaseLayout
    public var port: Int?

    public init(layout: DatabaseLayout, port: Int? = nil) {
        self.layout = layout
        self.port = port
    }
}

public enum ResourceJSON {
    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The options as a document for a `ResourceRequest`.
    public static func document<T: Encodable>(_ value: T) -> JSONDocument {
        (try? JSONDocument(encoding: value)) ?? .object([:])
    }

    public static func decode<T: Decodable>(_ type: T.Type, from document: JSONDocument) throws -> T {
        do {
            return try document.decode(type)
        } catch {
            throw ResourceError(code: "resource-options", "the resource's options do not read as \(type): \(DecodingFailure.describe(error))")
        }
    }
}

/// Where a resource lives in an app home: `resources/NAME/`.
public enum ResourcePaths {
    public static func queueDatabase(in folder: String) -> String { (folder as NSString).appendingPathComponent("queue.sqlite") }
    public static func queueSocket(in folder: String) -> String { (folder as NSString).appendingPathComponent("queue.sock") }
    public static func sqliteDatabase(in folder: String, name: String) -> String { (folder as NSString).appendingPathComponent("\(name).sqlite") }
}
