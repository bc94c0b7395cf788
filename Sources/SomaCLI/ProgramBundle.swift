import Foundation
import SomaChecker
import SomaProtocol

/// The files of a checked program as the ledger keeps them: paths relative to the entry file's folder, the
/// entry's own name, and a content hash (FNV-1a, 64 bits) that says whether two launches run the same code.
struct ProgramBundle {
    var entry: String
    var files: [(path: String, content: [UInt8])]
    var hash: String

    init(outcome: CheckOutcome, entryPath: String) {
        let root = (URL(fileURLWithPath: entryPath).standardizedFileURL.deletingLastPathComponent().path as NSString)
        entry = (entryPath as NSString).lastPathComponent
        var files: [(String, [UInt8])] = []
        var seen: Set<String> = []
        // Only the program's own files and its soma.toml: checked `--against`, the sources also hold the running version's.
        let own = Set(outcome.program.units.map(\.file))
        for file in outcome.sources.files where own.contains(file.id) || (file.path as NSString).lastPathComponent == "soma.toml" {
            let absolute = URL(fileURLWithPath: file.path).standardizedFileURL.path
            var relative = absolute.hasPrefix(root as String + "/") ? String(absolute.dropFirst(root.length + 1)) : (absolute as NSString).lastPathComponent
            if file.path == entryPath { relative = entry }
            guard seen.insert(relative).inserted else { continue }
            files.append((relative, file.bytes))
        }
        self.files = files.sorted { $0.0 < $1.0 }
        self.hash = Self.hash(self.files)
    }

    /// FNV-1a over every file's path and content, as 16 hex digits.
    static func hash(_ files: [(path: String, content: [UInt8])]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (path, content) in files {
            for byte in Array(path.utf8) + [0] + content + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static let settingsFile = "soma.toml"

    /// The hash of the code alone: two bundles with the same code hash differ at most in their soma.toml.
    static func codeHash(_ files: [(path: String, content: [UInt8])]) -> String {
        hash(files.filter { ($0.path as NSString).lastPathComponent != settingsFile })
    }

    var codeHash: String { Self.codeHash(files) }
    /// As the supervisor is sent it, to record.
    var code: ProgramCode { Self.code(entry: entry, files: files, hash: hash) }

    static func code(entry: String, files: [(path: String, content: [UInt8])], hash: String) -> ProgramCode {
        ProgramCode(entry: entry, files: files.map { ProgramCode.File(path: $0.path, content: Data($0.content)) }, hash: hash)
    }
    var settings: [UInt8]? { files.first { $0.path == Self.settingsFile }?.content }
}
