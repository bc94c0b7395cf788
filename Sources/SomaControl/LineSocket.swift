import Foundation
import SomaProtocol

/// A blocking client for JSON-lines Unix sockets, for code that runs on its own thread and must wait for the
/// answer before it goes on (a turn asking the supervisor for a resource, the effect pump talking to a queue).
/// Not thread-safe: one user at a time.
// Unchecked: not thread-safe by design (one user at a time); its owners serialize calls with a lock of their
// own (QueueClient, SupervisorBroker) or keep it on one thread.
public final class LineSocket: @unchecked Sendable {
    public let path: String
    private var descriptor: Int32 = -1
    private var buffer: [UInt8] = []
    private let timeoutSeconds: Int
    /// Sent when the connection opens; the server's hello is checked before anything else is sent. nil for a
    /// line protocol soma does not define (a plugin's health check).
    private let hello: Hello?
    /// The server, as an error names it.
    private let place: String

    public init(path: String, timeoutSeconds: Int = 30, hello: Hello?, server: PeerRole) {
        self.path = path
        self.timeoutSeconds = timeoutSeconds
        self.hello = hello
        self.place = "the \(server.rawValue) at \(path)"
    }

    deinit { close() }

    public var isConnected: Bool { descriptor >= 0 }

    public func connect() throws {
        guard descriptor < 0 else { return }
        let socketDescriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw ControlError.unreachable(path: path, reason: String(cString: strerror(errno))) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(socketDescriptor)
            throw ControlError.unreachable(path: path, reason: "the socket path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketDescriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socketDescriptor)
            throw ControlError.unreachable(path: path, reason: reason)
        }
        descriptor = socketDescriptor
        buffer.removeAll()
        guard let hello else { return }
        do {
            try write(try Frame.encode(HelloFrame(hello)))
            try Handshake.check(greeting: try readLine(), ours: hello, peer: place)
        } catch {
            close()
            throw error
        }
    }

    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        buffer.removeAll()
    }

    /// Writes one line and reads one line back. On any failure the connection is closed, so the next call
    /// connects afresh.
    public func exchange(_ line: Data) throws -> Data {
        try connect()
        do {
            try write(line + [0x0A])
            return try readLine()
        } catch {
            close()
            throw error
        }
    }

    /// Encodes the request, exchanges it, decodes the reply as it comes (a protocol whose replies carry their
    /// own success, as the queue's do).
    public func call<Request: Encodable, Reply: Decodable>(_ request: Request, as: Reply.Type) throws -> Reply {
        let reply = try exchange(try Frame.encode(request).dropLast())
        do {
            return try Frame.decode(Reply.self, from: reply)
        } catch {
            throw ProtocolFailure.malformed("a reply", place: place, error: error)
        }
    }

    /// Encodes the request, exchanges it, and gives the reply of the request's type, or throws the failure the
    /// server answered.
    public func request<Request: Encodable, Reply: Codable & Sendable>(_ request: Request, replying: Reply.Type) throws -> Reply {
        switch try call(request, as: ReplyFrame<Reply>.self) {
        case .reply(let reply): return reply
        case .failure(let failure): throw failure
        }
    }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ControlError.unreachable(path: path, reason: String(cString: strerror(errno)))
                }
                offset += written
            }
        }
    }

    private func readLine() throws -> Data {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw ControlError.unreachable(path: path, reason: count == 0 ? "the peer closed the connection" : String(cString: strerror(errno)))
            }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}
