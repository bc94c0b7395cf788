import Foundation

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

    public init(path: String, timeoutSeconds: Int = 30) {
        self.path = path
        self.timeoutSeconds = timeoutSeconds
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

    /// Encodes the request, exchanges it, decodes the reply.
    public func call<Request: Encodable, Reply: Decodable>(_ request: Request, as: Reply.Type) throws -> Reply {
        let reply = try exchange(try JSONEncoder().encode(request))
        do {
            return try JSONDecoder().decode(Reply.self, from: reply)
        } catch {
            throw ControlError.malformedReply(String(decoding: reply.prefix(200), as: UTF8.self))
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
