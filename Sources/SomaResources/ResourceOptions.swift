import Foundation

/// The options of a `QueueService<T>`, as they travel in the ledger and to providers.
public struct QueueOptions: Codable, Sendable, Equatable {
    public var maxAttempts: Int
    public var visibilityMilliseconds: Int

    public init(maxAttempts: Int = 5, visibilityMilliseconds: Int = 30_000) {
        self.maxAttempts = maxAttempts
        self.visibilityMilliseconds = visibilityMilliseconds
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

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw ResourceError(code: "resource-options", "the resource's options do not read as \(type): \(error)")
        }
    }
}

/// Where a resource lives in an app home: `resources/NAME/`.
public enum ResourcePaths {
    public static func queueDatabase(in folder: String) -> String { (folder as NSString).appendingPathComponent("queue.sqlite") }
    public static func queueSocket(in folder: String) -> String { (folder as NSString).appendingPathComponent("queue.sock") }
    public static func sqliteDatabase(in folder: String, name: String) -> String { (folder as NSString).appendingPathComponent("\(name).sqlite") }
}
