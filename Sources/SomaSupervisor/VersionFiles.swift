import Foundation
import SomaControl
import SomaLedger
import SomaProtocol

/// A version's files as the ledger keeps them, written out under the app's code/vN once, for the worker to run
/// and for `soma swap` and `soma rollback` to check against.
public enum VersionFiles {
    /// The path of the version's entry file under code/vN, writing the folder first if it is not there. The
    /// files go to a staging folder of this process and are renamed into place, so a reader never sees half a
    /// version and two processes writing it at once both end with the same folder.
    public static func materialize(_ ledger: Ledger, home: AppHome, version: Int, entry: String) throws -> String {
        let entryPath = entryPath(home: home, version: version, entry: entry)
        guard !FileManager.default.fileExists(atPath: entryPath) else { return entryPath }
        return try write(try ledger.code(ofVersion: version)?.files ?? [], home: home, version: version, entry: entry)
    }

    /// Where a version's entry file is, once written.
    public static func entryPath(home: AppHome, version: Int, entry: String) -> String {
        (home.codeFolder(version: version) as NSString).appendingPathComponent(entry)
    }

    /// Writes a version's files under code/vN (unless they are there) and returns its entry file's path.
    public static func write(_ files: [ProgramCode.File], home: AppHome, version: Int, entry: String) throws -> String {
        let folder = home.codeFolder(version: version)
        let entryPath = entryPath(home: home, version: version, entry: entry)
        guard !FileManager.default.fileExists(atPath: entryPath) else { return entryPath }
        let staging = folder + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        for file in files {
            let path = (staging as NSString).appendingPathComponent(file.path)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try file.content.write(to: URL(fileURLWithPath: path))
        }
        try? FileManager.default.removeItem(atPath: folder)
        do {
            try FileManager.default.moveItem(atPath: staging, toPath: folder)
        } catch where FileManager.default.fileExists(atPath: entryPath) {
            try? FileManager.default.removeItem(atPath: staging)
        }
        return entryPath
    }
}
