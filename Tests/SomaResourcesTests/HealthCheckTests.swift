import Foundation
import SomaProcesses
import SomaResources
@testable import SomaProviders
import Testing

/// Which answers to a line health check count.
@Suite struct HealthCheckTests {
    @Test func aQueueCountsOnlyWhenItAnswersItsHello() {
        let spec = LocalProvider(executable: "/usr/bin/soma").queueProcess(ExternalProviderTests.request, options: QueueOptions())
            .supervision(of: "q").health!.probe
        #expect(spec.countsLine(Data(#"{"hello":{"protocol":"soma-queue","version":{"major":2,"minor":0},"build":"0.1.0","peer":"queue"}}"#.utf8)))
        // What a queue of soma 0.1.0 answers to a hello, and silence.
        #expect(!spec.countsLine(Data(#"{"ok":false,"error":"malformed request"}"#.utf8)))
        #expect(!spec.countsLine(Data(#"{"failure":{"code":"protocol-version","message":"…"}}"#.utf8)))
        #expect(!spec.countsLine(nil))
    }

    @Test func withoutAPrefixAnyLineCounts() {
        let spec = ProcessSpec(executable: "/bin/true", arguments: [], readySocket: "/tmp/s", healthCheck: "ping").supervision(of: "p").health!.probe
        #expect(spec.countsLine(Data("anything".utf8)))
        #expect(!spec.countsLine(nil))
    }
}
