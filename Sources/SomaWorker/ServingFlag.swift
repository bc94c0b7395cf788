import Synchronization

/// The port the face listens on, once it does, and the program version it serves (a swap changes it).
final class ServingFlag: Sendable {
    private let port = Mutex<Int?>(nil)
    private let versionNumber: Mutex<Int>

    init(version: Int) {
        versionNumber = Mutex(version)
    }

    var version: Int {
        get { versionNumber.withLock { $0 } }
        set { versionNumber.withLock { $0 = newValue } }
    }

    func set(port value: Int) { port.withLock { $0 = value } }
    var servingPort: Int? { port.withLock { $0 } }
}
