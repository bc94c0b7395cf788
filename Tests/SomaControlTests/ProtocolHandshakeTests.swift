import Foundation
import NIOCore
import SomaControl
import SomaProtocol
import Testing

/// The hello that opens every connection, without I/O: which peers talk, and what the others are told.
@Suite struct ProtocolHandshakeTests {
    let cli = Hello(.control, peer: .cli)

    @Test func peersOfTheSameMajorTalkWhateverTheirMinor() {
        #expect(cli.refusal(of: Hello(.control, peer: .supervisor, version: ProtocolVersion(major: 3, minor: 7)), at: "x") == nil)
    }

    @Test func anotherMajorIsRefusedNamingBothVersionsAndThePeer() throws {
        let newer = Hello(.control, peer: .supervisor, version: ProtocolVersion(major: 4, minor: 1), build: "0.4.0")
        let refusal = try #require(cli.refusal(of: newer, at: "the supervisor at /apps/shop/control.sock"))
        #expect(refusal.code == "protocol-version")
        for part in ["/apps/shop/control.sock", "4.1", ProtocolName.control.current.description, "0.4.0", "cli"] {
            #expect(refusal.message.contains(part), "\(refusal.message) names \(part)")
        }
        #expect(refusal.hint != nil)
    }

    @Test func anotherProtocolIsRefused() {
        #expect(cli.refusal(of: Hello(.queue, peer: .queue), at: "x")?.code == "protocol-mismatch")
    }

    @Test func aFirstLineThatIsNoHelloIsRefusedAsMalformed() throws {
        for line in ["not json", #"{"hello":{"protocol":"soma-control"}}"#, #"{"op":"stats"}"#] {
            let answer = Handshake.answer(to: Data(line.utf8), ours: Hello(.control, peer: .supervisor), peer: "a client")
            let (frame, accepted) = (answer.frame, answer.accepted)
            #expect(!accepted)
            guard case .failure(let failure) = try JSONDecoder().decode(Greeting.self, from: frame.dropLast()) else {
                Issue.record("\(line) was greeted")
                continue
            }
            #expect(failure.code == "protocol-malformed", "\(line): \(failure.message)")
        }
    }

    @Test func aClientFromBeforeVersionsIsAnsweredInItsOwnShape() throws {
        let line = Data(#"{"command":"status","arguments":{}}"#.utf8)
        let answer = Handshake.answer(to: line, ours: Hello(.control, peer: .supervisor), peer: "a client")
        let (frame, accepted) = (answer.frame, answer.accepted)
        #expect(!accepted)
        let object = try #require(try JSONSerialization.jsonObject(with: frame) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect((object["message"] as? String)?.contains("soma-control \(ProtocolName.control.current)") == true)
        #expect((object["fields"] as? [String: String])?["code"] == "protocol-version")
    }

    @Test func aServerFromBeforeVersionsIsRecognized() {
        let legacy = Data(#"{"ok":false,"message":"malformed control request","fields":{}}"#.utf8)
        #expect {
            try Handshake.check(greeting: legacy, ours: cli, peer: "the supervisor at /x")
        } throws: { error in
            (error as? ProtocolFailure)?.code == "protocol-version" && "\(error)".contains("before protocol versions")
        }
    }
}

/// `Nullable`: absent written as null, a missing key read as nil (plans kept before a field existed).
@Suite struct NullableTests {
    @Test func aPlanWritesItsAbsentFieldsAsNullAndReadsAnOldPlanWithoutThem() throws {
        let old = try JSONDecoder().decode(SwapPlan.self, from: Data(#"{"fromVersion":1,"toVersion":2,"types":[],"migrations":[],"slots":[],"states":[],"resources":[],"face":[],"refusals":[],"dryRunChecked":3,"dryRunMilliseconds":1.5}"#.utf8))
        #expect(old.restores == nil && old.warnings == nil && old.dryRunChecked == 3)
        let text = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        #expect(text.contains(#""restores":null"#) && text.contains(#""heldTurns":null"#), "\(text)")
        var applied = old
        applied.restores = 1
        #expect(try JSONDecoder().decode(SwapPlan.self, from: JSONEncoder().encode(applied)).restores == 1)
    }
}

/// On TCP the server answers a hello only when it carries the proof of the app's secret for its challenge.
@Suite struct ProofHandshakeTests {
    let server = Hello(.control, peer: .supervisor)
    let secret = AppSecret.random()

    func answer(_ proof: String?) throws -> (ProtocolFailure?, Bool) {
        let line = try Frame.encode(HelloFrame(Hello(.control, peer: .cli, proof: proof))).dropLast()
        let expected = secret.proof(of: "nonce-1", for: .control)
        let answer = Handshake.answer(to: Data(line), ours: server, peer: "a client at 127.0.0.1:5000", expectedProof: expected)
        let (frame, accepted) = (answer.frame, answer.accepted)
        guard case .failure(let failure) = try Frame.decode(Greeting.self, from: frame.dropLast()) else { return (nil, accepted) }
        return (failure, accepted)
    }

    @Test func theRightProofIsAcceptedAndAnyOtherIsRefusedNamingThePeer() throws {
        #expect(try answer(secret.proof(of: "nonce-1", for: .control)) == (nil, true))
        let (missing, missingAccepted) = try answer(nil)
        #expect(!missingAccepted && missing?.code == "auth-refused" && missing?.message.contains("127.0.0.1:5000") == true)
        #expect(missing?.message.contains("no proof") == true)
        for wrong in [secret.proof(of: "nonce-2", for: .control), secret.proof(of: "nonce-1", for: .worker), AppSecret.random().proof(of: "nonce-1", for: .control), ""] {
            let (failure, accepted) = try answer(wrong)
            #expect(!accepted && failure?.code == "auth-refused" && failure?.message.contains("does not hold") == true)
        }
    }

    @Test func aProofIsNeverAskedOfAUnixSocketPeer() throws {
        let line = try Frame.encode(HelloFrame(Hello(.control, peer: .cli))).dropLast()
        #expect(Handshake.answer(to: Data(line), ours: server, peer: "a client").accepted)
    }
}

/// A lock someone only looks at is still taken by the process that wants it.
@Suite struct FileLockTests {
    @Test func aLockHeldForAMomentIsTakenOnceItIsFreeAndOneHeldForGoodIsNot() async throws {
        let path = "/tmp/soma-lock-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        // The look, held a little longer than `isHeld` holds it, and released by the thread that took it.
        let (looked, looking) = AsyncStream<Void>.makeStream()
        // On a thread of its own: a task could wait for the cooperative pool longer than the patience below.
        let (releasedStream, releasedSignal) = AsyncStream<Void>.makeStream()
        let tried = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var look = FileLock(path: path)
            #expect(look != nil, "nobody holds it")
            looking.yield()
            // Held until the single try below has lost to it, then a moment longer.
            tried.wait()
            usleep(40_000)
            look = nil
            _ = look
            releasedSignal.yield()
            releasedSignal.finish()
        }
        for await _ in looked { break }
        #expect(FileLock(path: path) == nil, "a single try loses to the look")
        tried.signal()
        let taken = FileLock.acquire(path: path, patience: .seconds(2))
        #expect(taken != nil, "taken once the look is over")
        for await _ in releasedStream { break }
        let start = ContinuousClock.now
        #expect(FileLock.acquire(path: path, patience: .milliseconds(100)) == nil, "held by `taken` for good")
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        withExtendedLifetime(taken) {}
    }
}
