import SomaLedger
import SomaProtocol

extension ProtocolFailure {
    /// The ledger's refusal or failure, told to the peer with its own code.
    init(_ error: LedgerError, hint: String? = nil) {
        self.init(code: error.code, error.message, hint: hint)
    }
}
