import Foundation

/// `soma launch`, to a supervisor started to receive it (`soma supervise --idle`), or to one in the foreground:
/// everything the launch records in the ledger, which the supervisor writes (the CLI writes none of it).
public struct LaunchOrder: Codable, Sendable, Equatable {
    /// A new soma.toml for the version that runs, whose code is unchanged.
    public struct Settings: Codable, Sendable, Equatable {
        public var path: String
        /// nil: the version has no soma.toml any more.
        public var content: Data?
        /// The bundle's hash with this file.
        public var hash: String

        public init(path: String, content: Data?, hash: String) {
            self.path = path
            self.content = content
            self.hash = hash
        }
    }

    public var app: String
    /// The current version the CLI decided against (nil: no app yet). Another one by the time the order
    /// arrives (a launch in between) is refused as `conflict`, and nothing is written.
    public var expectedVersion: Int?
    /// The code of a new app, recorded as its version 1.
    public var code: ProgramCode?
    public var settings: Settings?
    public var port: Int
    public var providerPaths: [String]
    public var maxRestarts: Int?
    public var restartWindow: Double?
    /// The face stays closed once the worker runs: new code is about to replace this version (a swap follows).
    public var holdFace: Bool

    public init(app: String, expectedVersion: Int?, code: ProgramCode?, settings: Settings?, port: Int, providerPaths: [String],
                maxRestarts: Int?, restartWindow: Double?, holdFace: Bool) {
        self.app = app
        self.expectedVersion = expectedVersion
        self.code = code
        self.settings = settings
        self.port = port
        self.providerPaths = providerPaths
        self.maxRestarts = maxRestarts
        self.restartWindow = restartWindow
        self.holdFace = holdFace
    }
}

/// The version a launch runs.
public struct LaunchReply: Codable, Sendable, Equatable {
    public var version: Int

    public init(version: Int) {
        self.version = version
    }
}
