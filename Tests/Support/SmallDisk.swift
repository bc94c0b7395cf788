import Foundation

/// A tmpfs of a few megabytes, mounted for one test; nil (with a message) where this process cannot mount.
public struct SmallDisk {
    public let folder: URL
    var filler: URL { folder.appendingPathComponent("filler") }

    /// `at`: the folder to mount on (created when missing), else a new one under the temporary folder.
    public init?(megabytes: Int, at existing: URL? = nil) {
        folder = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("soma-full-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard geteuid() == 0, Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", folder.path]) else {
            print("skipped: a full disk is tested on a tmpfs, which only root can mount here")
            try? FileManager.default.removeItem(at: folder)
            return nil
        }
    }

    /// Takes every free byte but `leaving`.
    public func fill(leaving: Int = 0) {
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: filler.path) else { return }
        let chunk = [UInt8](repeating: 7, count: 4096)
        let descriptor = handle.fileDescriptor
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, 1) }) > 0 {}
        let size = lseek(descriptor, 0, SEEK_END)
        _ = ftruncate(descriptor, max(0, size - off_t(leaving)))
        try? handle.close()
    }

    public func free() {
        try? FileManager.default.removeItem(at: filler)
    }

    public func remove() {
        _ = Self.run("/bin/umount", ["-l", folder.path])
        try? FileManager.default.removeItem(at: folder)
    }

    static func run(_ executable: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }
}

extension SmallDisk {
    /// `callers` writers at once, each until it has been refused with 507 three times or has made `attempts`
    /// writes: every id written (`c<caller>-<n>`) with the status `write` gave for it (0 when it threw).
    public static func writeUntilRefused(callers: Int = 8, attempts: Int,
                                         _ write: @escaping @Sendable (String) async throws -> Int) async -> [(id: String, status: Int)] {
        await withTaskGroup(of: [(id: String, status: Int)].self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var seen: [(id: String, status: Int)] = []
                    for index in 0..<attempts {
                        let id = "c\(caller)-\(index)"
                        seen.append((id, (try? await write(id)) ?? 0))
                        if seen.filter({ $0.status == 507 }).count >= 3 { break }
                    }
                    return seen
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }
}
