/// A failure of a resource or its engine, with a stable code and what it was doing to which resource.
public struct ResourceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
