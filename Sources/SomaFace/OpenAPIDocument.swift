import Synchronization

/// The face's OpenAPI document as served at /openapi.json; a swap replaces it with the new version's.
public final class OpenAPIDocument: Sendable {
    private let document: Mutex<[UInt8]>

    public init(_ bytes: [UInt8]) {
        document = Mutex(bytes)
    }

    public var bytes: [UInt8] {
        get { document.withLock { $0 } }
        set { document.withLock { $0 = newValue } }
    }
}
