import Foundation
@testable import SomaCLI
import Testing

/// `soma logs` reads every source's lines the same way: soma's own, and a PostgreSQL server's, framed.
@Suite struct LogLineTests {
    @Test func somaAndPostgresLinesReadAsOneFormat() throws {
        let own = LogLine.parse("2026-12-01T10:00:00.123Z worker info serving on http://127.0.0.1:8080", after: nil)
        #expect(own.source == "worker" && own.level == .info && own.message == "serving on http://127.0.0.1:8080")
        #expect(own.text == own.raw)

        let server = LogLine.parse("2026-12-01 10:00:01.250 UTC [4242] postgres:shop ERROR:  duplicate key value", after: own)
        #expect(server.source == "postgres:shop" && server.level == .error)
        #expect(server.text == "2026-12-01T10:00:01.250Z postgres:shop error duplicate key value pid=4242")
        let detail = LogLine.parse("2026-12-01 10:00:01.250 UTC [4242] postgres:shop DETAIL:  Key (id)=(a) exists.", after: server)
        #expect(detail.level == .error && detail.message.hasPrefix("DETAIL: Key (id)=(a) exists."), "\(detail.message)")

        // A line of neither kind continues the event before it.
        let trace = LogLine.parse("    at frame 3", after: server)
        #expect(trace.source == "postgres:shop" && trace.level == .error && trace.time == server.time)
    }

    @Test func filtersChooseBySourceLevelAndPattern() throws {
        let events = [
            "2026-12-01T10:00:00.000Z supervisor info started",
            "2026-12-01T10:00:01.000Z queue:outbox warning slow sync",
            "2026-12-01 10:00:02.000 UTC [7] postgres:shop LOG:  ready to accept connections",
            "2026-12-01T10:00:03.000Z worker error turn failed code=json-shape",
        ].reduce(into: [LogLine]()) { $0.append(LogLine.parse($1, after: $0.last)) }
        func chosen(_ filter: LogsCommand.Filter) -> [String] { events.filter(filter.keeps).map(\.source) }
        #expect(chosen(.init(level: .warning)) == ["queue:outbox", "worker"])
        #expect(chosen(.init(source: "queue")) == ["queue:outbox"])
        #expect(chosen(.init(source: "postgres:shop")) == ["postgres:shop"])
        #expect(chosen(.init(pattern: try NSRegularExpression(pattern: "json-(shape|other)"))) == ["worker"])
        #expect(chosen(.init(since: try Date("2026-12-01T10:00:01.500Z", strategy: .iso8601))) == ["postgres:shop", "worker"])
    }
}
