import Foundation

/// What the commands write to their standard output and error. A reader that goes away (`soma launch | head -1`)
/// is not a crash: SIGPIPE is ignored and a failed write is dropped, where Foundation's FileHandle.write traps.
enum Terminal {
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    static func out(_ text: String) { write(Array(text.utf8), to: STDOUT_FILENO) }
    static func err(_ text: String) { write(Array(text.utf8), to: STDERR_FILENO) }
    static func out(_ bytes: some Collection<UInt8>) { write(Array(bytes), to: STDOUT_FILENO) }

    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
