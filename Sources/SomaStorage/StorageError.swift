/// A failure of the state store, with the database file and the operation that failed.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var code: String
    public var path: String
    public var operation: String
    public var underlying: String

    public var description: String { "\(code): \(operation) on \(path): \(underlying)" }

    /// A commit that failed for want of space: nothing of it is durable, and writing resumes when space returns.
    public var isDiskFull: Bool { code == Self.diskFull }
    public static let diskFull = "disk-full"
}
