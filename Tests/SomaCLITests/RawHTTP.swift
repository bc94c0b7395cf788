import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client that writes HTTP by hand, for what URLSession will not send: a foreign Host, half a request.
final class RawHTTP {
    let descriptor: Int32

    init?(port: Int) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // A failed init still runs deinit, which closes the descriptor: closing it here too could close
        // someone else's descriptor that reused the number.
        if connected != 0 { return nil }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Everything the server sends until it closes the connection, or `seconds` pass.
    func readToEnd(within seconds: Double) -> (text: String, closed: Bool) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                received += buffer[0..<count]
            } else {
                return (String(decoding: received, as: UTF8.self), count == 0)
            }
        }
    }

    /// One whole request on a connection of its own; the status line's code.
    static func status(port: Int, _ request: String) -> Int? {
        guard let client = RawHTTP(port: port) else { return nil }
        client.send(request)
        let answer = client.readToEnd(within: 5).text
        return answer.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
