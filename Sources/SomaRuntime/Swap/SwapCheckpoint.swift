import Foundation

/// The steps of a swap at which the crash tests kill a process (RUNTIME.md §6: "kill -9 at every step").
/// With `SOMA_TEST_SWAP_PAUSE=STEP:MARKER` in the worker's environment, a swap reaching STEP creates the file
/// MARKER and stops there until the file is removed (at most an hour), so that a test can kill the worker, or
/// kill the supervisor and let the swap go on. Without the variable (always, outside tests) it does nothing.
public enum SwapCheckpoint: String, Sendable, CaseIterable {
    /// Applying has begun: nothing planned again, nothing dry-run, nothing changed.
    case applying
    /// Inside the commit transaction: the version recorded, states renamed, not yet committed.
    case migrating
    /// Committed, memory and handlers switched, tables rebuilt; `on start` not yet run.
    case switched
    /// `on start` ran and committed; the swap is not finished (the undo tables are still there).
    case started
    /// The swap has finished; the stored values of a type that went up a version are not rewritten yet.
    case rewriting

    static let pause: (step: String, marker: String)? = {
        guard let value = ProcessInfo.processInfo.environment["SOMA_TEST_SWAP_PAUSE"], let colon = value.firstIndex(of: ":") else { return nil }
        return (String(value[..<colon]), String(value[value.index(after: colon)...]))
    }()

    func reach() {
        guard let pause = Self.pause, pause.step == rawValue else { return }
        FileManager.default.createFile(atPath: pause.marker, contents: Data(rawValue.utf8))
        let deadline = Date().addingTimeInterval(3600)
        while FileManager.default.fileExists(atPath: pause.marker) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}
