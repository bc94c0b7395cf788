import Foundation
import GRDB
import SomaProtocol

/// Leasing, on the queue's loop. A lease hides a message for the visibility timeout and counts an attempt;
/// it is kept in memory and written to the file by the next group that writes anyway (a push, an ack or a
/// nack), so a lease costs no write of its own, and a message acked before that group is never written as
/// leased at all. A crash of the queue process forgets the leases not written yet: those messages are
/// delivered again (at least once), with the attempts the file counted.
extension QueueStore {
    /// More leases than this in memory are written by the next group even if it has nothing else to write.
    static let leasesKeptInMemory = 64

    struct Leased {
        var seq: Int64
        var message: QueueMessage
    }

    /// The leases the file does not know yet, by message.
    struct LeaseMemory {
        struct Lease {
            var id: String
            var attempts: Int
            var visibleAt: Int64
        }

        private(set) var bySeq: [Int64: Lease] = [:]

        var isEmpty: Bool { bySeq.isEmpty }
        var count: Int { bySeq.count }

        subscript(seq: Int64) -> Lease? { bySeq[seq] }

        mutating func remember(_ seq: Int64, _ lease: Lease) {
            bySeq[seq] = lease
        }

        mutating func forget(seq: Int64) {
            bySeq[seq] = nil
        }

        func nextVisible(after now: UInt64) -> UInt64? {
            bySeq.values.map(\.visibleAt).filter { $0 > Int64(now) }.min().map { UInt64($0) }
        }
    }

    /// Where leasing starts looking: every message with a lower seq is in flight until at least `until`, as the
    /// last lease found walking past them. Without it every lease would walk again past all the messages in
    /// flight (there is no index on visibility: it would cost every push and ack a page).
    struct InFlightPrefix {
        var seq: Int64 = 0
        var until: Int64 = 0
    }

    /// Up to `max` visible messages in order, each hidden for the visibility timeout and counted as an attempt;
    /// a message that used up its attempts goes to the dead letters instead.
    func lease(max: Int, now: UInt64, db: Database) throws -> [Leased] {
        let now = Int64(now)
        let hiddenUntil = now + Int64(options.visibilityMilliseconds)
        let select = try db.cachedStatement(sql: """
            SELECT seq, id, version, body, attempts, visible_at FROM messages WHERE seq >= ? ORDER BY seq LIMIT ?
            """)
        var prefix = inFlightPrefix.until > now ? inFlightPrefix : InFlightPrefix(seq: 0, until: .max)
        var from = prefix.seq
        var walkingPrefix = true  // every message walked past so far is in flight
        var leased: [Leased] = []
        walk: while leased.count < max {
            let wanted = max - leased.count + 8
            let rows = try Row.fetchAll(select, arguments: [from, wanted])
            for row in rows {
                let seq: Int64 = row[0]
                from = seq + 1
                var attempts: Int = row[4]
                var visibleAt: Int64 = row[5]
                if let remembered = leases[seq] {
                    attempts = remembered.attempts
                    visibleAt = remembered.visibleAt
                }
                if visibleAt > now {
                    if walkingPrefix { prefix = InFlightPrefix(seq: seq + 1, until: Swift.min(prefix.until, visibleAt)) }
                    continue
                }
                if leased.count == max {
                    walkingPrefix = false
                    break walk
                }
                if attempts >= options.maxAttempts {
                    try db.inSavepoint {
                        try db.execute(sql: """
                            INSERT INTO dead_letters (id, version, body, attempts, died_at, last_error)
                            SELECT id, version, body, ?, ?, last_error FROM messages WHERE seq = ?
                            """, arguments: [attempts, Date().formatted(Date.ISO8601FormatStyle()), seq])
                        try db.execute(sql: "DELETE FROM messages WHERE seq = ?", arguments: [seq])
                        return .commit
                    }
                    leases.forget(seq: seq)
                    if walkingPrefix { prefix.seq = seq + 1 }
                    continue
                }
                let message = QueueMessage(id: row[1], version: row[2], body: row[3], attempt: attempts + 1)
                leases.remember(seq, .init(id: message.id, attempts: attempts + 1, visibleAt: hiddenUntil))
                leased.append(Leased(seq: seq, message: message))
                if walkingPrefix { prefix = InFlightPrefix(seq: seq + 1, until: Swift.min(prefix.until, hiddenUntil)) }
            }
            if rows.count < wanted { break }
        }
        inFlightPrefix = prefix
        return leased
    }

    /// A message in the prefix may be visible again (a nack), or a push reused a seq below it: look from the start.
    func forgetInFlightPrefix() {
        inFlightPrefix = InFlightPrefix()
    }

    /// Writes the leases kept in memory, but those of messages this group acks (they are deleted), and forgets
    /// them: the file has them now.
    func writeLeases(except acked: Set<String>, db: Database) throws {
        guard !leases.isEmpty else { return }
        let update = try db.cachedStatement(sql: "UPDATE messages SET attempts = ?, visible_at = ? WHERE seq = ?")
        for (seq, lease) in leases.bySeq where !acked.contains(lease.id) {
            try update.execute(arguments: [lease.attempts, lease.visibleAt, seq])
        }
        leases = LeaseMemory()
    }

    /// Writes the leases kept in memory (on the loop), so the file's counts are the queue's.
    func writeLeasesNow() throws {
        let write: @Sendable () throws -> Void = {
            if case .failure(let error) = self.commit({ db in try self.writeLeases(except: [], db: db) }) { throw error }
        }
        if eventLoop.inEventLoop { try write() } else { try eventLoop.submit(write).wait() }
    }
}
