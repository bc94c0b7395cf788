import Logging
import SomaChecker
import SomaControl
import SomaProtocol

extension ControlService {
    /// soma.toml `[control] listen`: the control protocol on TCP as well, with TLS 1.3 presenting the app's
    /// certificate and every client proving the app's secret. Without the setting nothing listens on TCP
    /// (RUNTIME.md §4). The address is the one of the version running when this supervisor started; a swap
    /// that changes it takes effect at the next start.
    func serveOnTCP(besides entry: String) -> Task<Void, Never>? {
        guard case .tcp(let host, let port)? = ProjectConfig.load(besides: entry).control.listen else { return nil }
        let identity: TLSIdentity
        let secret: AppSecret
        do {
            identity = try TLSIdentity.loadOrCreate(at: home.tlsIdentityPath, name: "soma \(home.name)")
            secret = try AppSecret.loadOrCreate(at: home.secretPath)
        } catch {
            logger.error("control over TCP stays off: \(error)")
            return nil
        }
        let server = SupervisorServer(.tcp(host: host, port: port, identity: identity, secret: secret), protocol: .control, role: .supervisor)
        return Task { [logger] in
            do {
                try await server.run(ready: { endpoint in
                    logger.info("control listens on \(endpoint) (TLS 1.3, certificate sha256 \(identity.fingerprint))")
                    let listener = ControlListener(address: endpoint.address, certificateSHA256: identity.fingerprint)
                    self.listener.withLock { $0 = listener }
                }, refused: { why in
                    logger.warning("\(why)")
                }) { request, responder in
                    await self.handle(request, responder)
                }
            } catch {
                logger.error("cannot listen for control on \(Endpoint.tcp(host: host, port: port)): \(error)")
            }
        }
    }
}
