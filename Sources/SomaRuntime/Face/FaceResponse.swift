/// The answer to one face call, independent of the transport: an HTTP status and a JSON body.
public struct FaceResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// `{"error": {"code": ..., "message": ..., "field": ..., "location": ...}}`
    public static func error(_ status: Int, code: String, message: String, field: String? = nil, location: String? = nil) -> FaceResponse {
        var writer = JSONWriter()
        writer.raw("{\"error\":{\"code\":")
        writer.string(code)
        writer.raw(",\"message\":")
        writer.string(message)
        if let field {
            writer.raw(",\"field\":")
            writer.string(field)
        }
        if let location {
            writer.raw(",\"location\":")
            writer.string(location)
        }
        writer.raw("}}")
        return FaceResponse(status: status, body: writer.output)
    }
}
