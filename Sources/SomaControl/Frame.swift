import Foundation
import NIOCore
import NIOPosix
import SomaProtocol

/// One frame of any protocol: a JSON object on one line. Times are RFC 3339.
public enum Frame {
    /// The longest line read: a peer that sends more without a newline is cut off, not buffered without end.
    public static let maximumLength = 16 << 20

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    public static func decode<T: Decodable>(_ type: T.Type, from line: Data) throws -> T {
        try decoder.decode(type, from: line)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The hello exchange, without I/O: what a server answers to a client's first line, and whether a client
/// goes on after the server's.
public enum Handshake {
    /// The server's answer to a connection's first line: the frame it writes back, and why it refuses the
    /// peer (nil when it reads on), for its log.
    public struct Answer: Sendable {
        public var frame: Data
        public var refusal: String?
        public var accepted: Bool { refusal == nil }
    }

    /// What the server writes back to the first line of a connection, and whether it reads on. On TCP,
    /// `expectedProof` is the HMAC of the challenge this server sent: a hello without it is refused, after the
    /// version rules (a peer of another major is told that first, since its proof would not be this one's).
    public static func answer(to line: Data, ours: Hello, peer place: String, expectedProof: String? = nil) -> Answer {
        func refuse(_ failure: ProtocolFailure) -> Answer {
            Answer(frame: (try? Frame.encode(Greeting.failure(failure))) ?? Data(), refusal: failure.message)
        }
        guard let frame = try? Frame.decode(HelloFrame.self, from: line) else {
            if let legacy = legacyRefusal(of: line, ours: ours) {
                return Answer(frame: legacy, refusal: "\(place) is a soma from before protocol versions (\(ours.protocol.rawValue) 1)")
            }
            return refuse(.malformed("a first frame (a hello)", place: place, error: decodingError(HelloFrame.self, line)))
        }
        if let refusal = ours.refusal(of: frame.hello, at: place) { return refuse(refusal) }
        if let expectedProof, !constantTimeEqual(frame.hello.proof ?? "", expectedProof) {
            let who = "\(place) (a \(frame.hello.peer.rawValue) of soma \(frame.hello.build))"
            return refuse(ProtocolFailure(.unauthenticated, frame.hello.proof == nil ? "\(who) sent no proof of the app's secret"
                                                                                     : "\(who) does not hold the app's secret"))
        }
        return Answer(frame: (try? Frame.encode(Greeting.hello(ours))) ?? Data(), refusal: nil)
    }

    /// Compares every byte whatever the first difference, so the time taken says nothing about the proof.
    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let (a, b) = (Array(left.utf8), Array(right.utf8))
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Checks the server's first frame: its hello (same protocol, same major), else why it refused.
    public static func check(greeting line: Data, ours: Hello, peer place: String) throws {
        let greeting: Greeting
        do {
            greeting = try Frame.decode(Greeting.self, from: line)
        } catch {
            // soma before protocol versions answers a hello as a malformed request: `{"ok":false,…}`.
            if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], object["ok"] != nil {
                throw ProtocolFailure.unversionedPeer(local: ours, place: place)
            }
            throw ProtocolFailure.malformed("a greeting", place: place, error: error)
        }
        switch greeting {
        case .failure(let failure) where failure.code == ProtocolFailure.Code.unauthenticated.rawValue:
            throw ProtocolFailure(.unauthenticated, "\(place) refused this soma's proof of the app's secret",
                                  hint: "the client needs the app's own secret file (secret, in the app home)")
        case .failure(let failure): throw failure
        case .hello(let theirs):
            if let refusal = ours.refusal(of: theirs, at: place) { throw refusal }
        }
    }

    /// A client of the protocol before versions sends `{"command": …}` first and reads `{ok, message}`: it is
    /// answered in its own shape, so that the soma that sent it says what is wrong instead of failing to decode.
    static func legacyRefusal(of line: Data, ours: Hello) -> Data? {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], object["command"] is String else { return nil }
        let message = "this \(ours.peer.rawValue) speaks \(ours.protocol.rawValue) \(ours.version) (soma \(ours.build)); "
            + "the soma that sent this command speaks version 1: use the soma that launched the app"
        guard var data = try? JSONSerialization.data(withJSONObject: ["ok": false, "message": message, "fields": ["code": "protocol-version"]]) else {
            return nil
        }
        data.append(0x0A)
        return data
    }

    static func decodingError<T: Decodable>(_ type: T.Type, _ line: Data) -> (any Error)? {
        do {
            _ = try Frame.decode(type, from: line)
            return nil
        } catch {
            return error
        }
    }
}

extension Frame {
    /// Encodes and decodes one exchange of the control protocol (a hello, `request`, a greeting, a reply) and
    /// throws the result away. The first use of each Codable type costs milliseconds (its metadata is built then);
    /// a process that waits on something anyway (the CLI for the supervisor it spawned, the supervisor for its
    /// ledger's sync) pays it meanwhile, not on the launch's critical path.
    public static func warmUp(_ request: ControlRequest, as peer: PeerRole) {
        warmUp(request, reply: LaunchReply(version: 1), as: peer)
    }

    /// The same for an exchange whose reply is `reply`'s type.
    public static func warmUp<Reply: Codable & Sendable>(_ request: ControlRequest, reply: Reply, as peer: PeerRole) {
        // The event loops a connection runs on start with their first use too.
        _ = NIOSingletons.posixEventLoopGroup.next()
        let hello = Hello(.control, peer: peer)
        _ = try? decode(HelloFrame.self, from: encode(HelloFrame(hello)))
        _ = try? decode(ControlRequest.self, from: encode(request))
        _ = try? decode(Greeting.self, from: encode(Greeting.hello(hello)))
        _ = try? decode(ReplyFrame<Reply>.self, from: encode(ReplyFrame<Reply>.reply(reply)))
    }
}
