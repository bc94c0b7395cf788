import SomaChecker
import SomaFace
import Testing

/// Who may call the face, from the headers alone.
@Suite struct FaceGuardTests {
    func refusal(_ guardian: FaceGuard, host: String? = "127.0.0.1:8080", origin: String? = nil, authorization: String? = nil,
                 needsToken: Bool = true) -> Int? {
        guardian.refusal(host: host, origin: origin, authorization: authorization, needsToken: needsToken)?.status
    }

    @Test func hostsAreTheMachineItselfOrNamedInSomaToml() {
        var settings = FaceSettings()
        settings.allowedHosts = ["shop.example.com", "api.example.com:8443"]
        let guardian = FaceGuard(settings: settings, token: nil)
        for host in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "10.1.2.3", "shop.example.com", "SHOP.example.com:443", "api.example.com:8443", "localhost"] {
            #expect(refusal(guardian, host: host) == nil, "\(host)")
        }
        // A name that resolves to this machine by DNS rebinding is not one the face serves.
        for host in ["evil.example.net:8080", "api.example.com:9999", "127.0.0.1.evil.net"] {
            #expect(refusal(guardian, host: host) == 421, "\(host)")
        }
    }

    @Test func aBrowsersOriginMustBeAllowedAndCurlSendsNone() {
        var settings = FaceSettings()
        settings.allowedOrigins = ["https://shop.example.com"]
        let guardian = FaceGuard(settings: settings, token: nil)
        #expect(refusal(guardian, origin: nil) == nil)
        #expect(refusal(guardian, origin: "https://shop.example.com") == nil)
        #expect(refusal(guardian, origin: "http://127.0.0.1:3000") == 403)
        #expect(refusal(guardian, origin: "null") == 403)
    }

    @Test func aTokenIsNeededWhereConfiguredButForHealth() {
        let guardian = FaceGuard(settings: FaceSettings(), token: "s3cret")
        #expect(refusal(guardian, authorization: "Bearer s3cret") == nil)
        #expect(refusal(guardian, authorization: "bearer s3cret") == nil)
        #expect(refusal(guardian, authorization: "Bearer s3cre") == 401)
        #expect(refusal(guardian, authorization: "Bearer s3crets") == 401)
        #expect(refusal(guardian, authorization: nil) == 401)
        #expect(refusal(guardian, authorization: nil, needsToken: false) == nil)
        #expect(refusal(FaceGuard(settings: FaceSettings(), token: nil), authorization: nil) == nil)
    }
}
