import Foundation

/// The files of one app under `$SOMA_HOME/apps/NAME/`: the directory is private to its user (0700).
public struct AppHome: Sendable {
    public let name: String
    public let path: String

    public init(somaHome: String, name: String) {
        self.name = name
        self.path = (somaHome as NSString).appendingPathComponent("apps/\(name)")
    }

    public init(path: String) {
        self.path = path
        self.name = (path as NSString).lastPathComponent
    }

    /// `SOMA_HOME`, else `~/.soma` where `~` is `$HOME`, as a user expects of a command-line tool (the account's
    /// home in the password database only when HOME is not set).
    public static var somaHome: String {
        somaHome(environment: ProcessInfo.processInfo.environment)
    }

    public static func somaHome(environment: [String: String]) -> String {
        if let home = environment["SOMA_HOME"], !home.isEmpty { return home }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (user as NSString).appendingPathComponent(".soma")
    }

    func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    public var ledgerPath: String { file("ledger.sqlite") }
    public var statePath: String { file("state/state.sqlite") }
    public var logPath: String { file("logs/app.log") }
    /// Written by a worker that cannot run (its `on start` aborted, its program does not load): the cause, for
    /// the supervisor to name when it gives up.
    /// Present while a launch of new code under a stopped app decides on its plan: the worker runs the stored
    /// version without opening its face, as if the app were still stopped.
    public var faceHoldPath: String { file("state/face-held") }
    public var controlSocket: String { file("control.sock") }
    /// The app's secret (32 random bytes, 0600): what a TCP client of the supervisor proves it holds.
    public var secretPath: String { file("secret") }
    /// The app's TLS key and self-signed certificate (0600), presented on TCP; clients pin its fingerprint.
    public var tlsIdentityPath: String { file("control.pem") }
    public var workerSocket: String { file("worker.sock") }
    /// Held (flock) by the live supervisor: its absence tells the worker the supervisor is gone.
    public var supervisorLock: String { file("supervisor.lock") }
    /// Held (flock) by the live worker: one worker per home.
    public var workerLock: String { file("worker.lock") }
    public func codeFolder(version: Int) -> String { file("code/v\(version)") }

    public var exists: Bool { FileManager.default.fileExists(atPath: ledgerPath) }

    /// Creates the home and its folders, private to this user.
    public func create() throws {
        for folder in [path, file("state"), file("logs"), file("code")] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            chmod(folder, 0o700)
        }
    }
}
