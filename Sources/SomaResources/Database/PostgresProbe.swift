import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// Asks a PostgreSQL server whether it takes connections, the way `pg_isready` does: by connecting. Used by
/// the supervisor to wait for a server it started and to health-check it.
public enum PostgresProbe {
    public enum Answer: Sendable, Equatable {
        /// A session started: the server is up.
        case ready
        /// The server answered that it cannot take connections yet (starting up, recovering, shutting down).
        case notYet
        /// No answer in time, or no server on the socket.
        case silent
    }

    public static func ask(socketPath: String, user: String, database: String = "postgres", timeout: TimeAmount = .seconds(2)) async -> Answer {
        var configuration = PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: nil, database: database)
        configuration.options.connectTimeout = timeout
        let loop = PostgresTables.loops.next()
        let answer = loop.makePromise(of: Answer.self)
        let settled = NIOLockedValueBox(false)
        let settle: @Sendable (Answer) -> Void = { value in
            if settled.withLockedValue({ done in defer { done = true }; return !done }) { answer.succeed(value) }
        }
        // A stopped server accepts the socket connection and then never speaks: the timer answers for it.
        let timer = loop.scheduleTask(in: timeout) { settle(.silent) }
        PostgresConnection.connect(on: loop, configuration: configuration, id: 0, logger: PostgresTables.quiet).whenComplete { result in
            timer.cancel()
            switch result {
            case .success(let connection):
                connection.close().whenComplete { _ in }
                settle(.ready)
            case .failure(let error):
                // 57P03 cannot_connect_now: starting up, in recovery, or shutting down.
                let state = (error as? PSQLError)?.serverInfo?[.sqlState]
                settle(state == "57P03" ? .notYet : state != nil ? .ready : .silent)
            }
        }
        return (try? await answer.futureResult.get()) ?? .silent
    }
}
