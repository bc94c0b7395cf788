/// A failure of a resource or its engine, with a stable code and what it was doing to which resource.
public struct ResourceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: String
    public var message: String
    /// The engine refused the data itself (a constraint, a value it cannot hold): the same request fails again
    /// however often it is retried. Anything else (a server restarting, a lost session) may pass on a retry.
    public var isPermanent: Bool

    public init(code: String, _ message: String, isPermanent: Bool = false) {
        self.code = code
        self.message = message
        self.isPermanent = isPermanent
    }

    public var description: String { message }
}
