import Foundation

/// A program's code as a version holds it: its files (the `.cell` files and soma.toml, by path relative to
/// the entry's folder), which of them is the entry, and the hash of the whole bundle.
public struct ProgramCode: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        /// The file's bytes (base64 in JSON).
        public var content: Data

        public init(path: String, content: Data) {
            self.path = path
            self.content = content
        }
    }

    public var entry: String
    public var files: [File]
    public var hash: String

    public init(entry: String, files: [File], hash: String) {
        self.entry = entry
        self.files = files
        self.hash = hash
    }
}
