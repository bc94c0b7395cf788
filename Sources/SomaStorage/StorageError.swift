/// A failure of the state store, with the database file and the operation that failed.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var code: String
    public var path: String
    public var operation: String
    public var underlying: String

    public var description: String { "\(code): \(operation) on \(path): \(underlying)" }
}
