@testable import SomaLedger
import Testing

/// Paths into a moved home name the same files under its new place; everything else is left alone.
@Suite struct HomeRelocationTests {
    let moved = HomeRelocation(home: "/srv/soma/apps/shop")

    @Test func pathsUnderTheOldPlaceMove() {
        #expect(moved.rebase("/tmp/x/apps/shop/resources/shop/shop.sqlite") == "/srv/soma/apps/shop/resources/shop/shop.sqlite")
        #expect(moved.rebase("postgresql://soma@127.0.0.1:5433/postgres?host=/tmp/x/apps/shop/resources/db/run")
                == "postgresql://soma@127.0.0.1:5433/postgres?host=/srv/soma/apps/shop/resources/db/run")
    }

    @Test func whatIsAlreadyRightOrElsewhereStays() {
        for text in ["/srv/soma/apps/shop/resources/q/queue.sock", "/var/lib/soma-pg/shop-db", "127.0.0.1:5432",
                     "/tmp/x/apps/other/resources/q", "relative/apps/shop/x"] {
            #expect(moved.rebase(text) == text, "\(text)")
        }
        #expect(moved.rebase(nil) == nil)
    }
}
