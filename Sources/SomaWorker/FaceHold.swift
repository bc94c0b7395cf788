import Foundation
import ServiceLifecycle
import Synchronization

/// The face, held closed while a launch decides whether new code replaces the stored version (the home's
/// hold file says so when the worker starts). The port is not even bound: to a client the app is still stopped.
/// Opened once, by the swap that the launch applies; a shutdown while held ends it without serving.
final class FaceHold: Sendable {
    private let state: Mutex<(held: Bool, waiting: [CheckedContinuation<Void, Never>])>

    init(held: Bool) {
        state = Mutex((held, []))
    }

    var isHeld: Bool { state.withLock { $0.held } }

    func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.held = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func waitUntilOpen() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if !state.held { return true }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// Runs the face's server once the hold is open.
struct HeldFaceService<Face: Service>: Service {
    let hold: FaceHold
    let face: Face

    func run() async throws {
        if hold.isHeld {
            // A graceful shutdown while held lets the waiter go, and the face never opens.
            await withGracefulShutdownHandler { await hold.waitUntilOpen() } onGracefulShutdown: { hold.open() }
            guard !Task.isShuttingDownGracefully else { return }
        }
        try await face.run()
    }
}
