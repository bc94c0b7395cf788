import Foundation
import Subprocess
import Testing
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// `soma launch` and friends with the real binary, real processes, real HTTP.
@Suite(.serialized) struct LaunchEndToEndTests {
    static var shop: String {
        (try? String(contentsOf: SomaBinary.repository.appendingPathComponent("examples/shop/app.cell"), encoding: .utf8)) ?? ""
    }
    static let order = #"{"order": {"id": "o1", "buyer": "ada", "items": [{"sku": "tea", "qty": 2, "price": 3.5}], "total": 7.0}}"#

    @Test func launchServeRestartStopRelaunch() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }

        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(launched.output.contains("launched shop (version 1)"))
        #expect(launched.output.contains("http://127.0.0.1:\(app.port)"))

        // Over HTTP and over `soma send`: the same path.
        #expect(try await app.post("/Shop/place_order", Self.order).body == #""o1""#)
        let stats = try await app.soma("send", "Shop.stats")
        #expect(stats.status == 0 && stats.output == "1\n")
        let refused = try await app.soma("send", "Shop.place_order", Self.order)
        #expect(refused.status == 1 && refused.error.contains("409") && refused.error.contains("exists already"))

        // Bad input: a 4xx that names the field, and nothing changes.
        let wrongType = try await app.post("/Shop/place_order", #"{"order": {"id": "o2", "buyer": "b", "items": [], "total": "x"}}"#)
        #expect(wrongType.status == 400 && wrongType.body.contains(#""field":"order.total""#))
        #expect(try await app.post("/Shop/place_order", "{not json").status == 400)
        #expect(try await app.post("/Shop/nothing", "{}").status == 404)
        #expect(try await app.post("/Nobody/stats", "{}").status == 404)
        let huge = try await app.post("/Shop/get_order", #"{"id": ""# + String(repeating: "x", count: 2 << 20) + #""}"#)
        #expect(huge.status == 413)
        let empty = try await app.post("/Shop/place_order", #"{"order": {"id": "o3", "buyer": "b", "items": [], "total": 0}}"#)
        #expect(empty.status == 409 && empty.body.contains("an order needs at least one item"))
        #expect(try await app.post("/Shop/stats", "").body == "1")

        // Health, metrics, OpenAPI.
        #expect(try await app.get("/healthz").body.contains(#""status":"serving""#))
        let wrongMethod = try await app.get("/Shop/place_order")
        #expect(wrongMethod.status == 405 && wrongMethod.body.contains(#""code":"method-not-allowed""#), "\(wrongMethod)")
        let noItems = try await app.post("/Shop/place_order", #"{"order": {"id": "e1", "buyer": "ada", "items": [], "total": 0.0}}"#)
        #expect(noItems.status == 409)
        // A refused turn is in the log with its signal, code and place, as the user's file names it.
        #expect(try await app.soma("logs", "--grep", "answered 409").output.contains("Shop.place_order answered 409 assert at shop.cell:41:"),
                "\(app.logTail)")
        let metrics = try await app.get("/metrics").body
        #expect(metrics.contains(#"soma_turns_total{cell="Shop",signal="place_order"}"#))
        #expect(metrics.contains("soma_turn_duration_seconds_bucket"))
        let openAPI = try await app.get("/openapi.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(openAPI.body.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.1")
        #expect((document["paths"] as? [String: Any])?["/Shop/place_order"] != nil)

        // kill -9 of the worker: restarted, serving again within 2 s, state intact.
        let worker = try #require(Int32(try await app.status()["worker_pid"] ?? ""))
        kill(worker, SIGKILL)
        try await Task.sleep(for: .milliseconds(20))
        let back = await app.waitUntilServing(within: 5)
        #expect(back != nil, "serving again within 2 s of the kill")
        #expect(try await app.post("/Shop/get_order", #"{"id": "o1"}"#).body.contains(#""buyer":"ada""#))
        #expect(try await app.status()["restarts"] == "1")

        // Stop: status says stopped (exit 3); relaunch resumes with the same state, version and port.
        let stopped = try await app.soma("stop")
        #expect(stopped.status == 0 && stopped.output.contains("stopped shop"))
        let status = try await app.soma("status")
        #expect(status.status == 3 && status.error.contains("shop is stopped"))
        let port = app.port
        let relaunched = try await app.launch()
        #expect(relaunched.status == 0 && relaunched.output.contains("version 1"))
        #expect(app.port == port)
        #expect(try await app.post("/Shop/stats", "{}").body == "1")
        #expect(try await app.post("/Shop/pay", #"{"id": "o1"}"#).body == #""paid""#)

        let apps = try await app.soma("apps")
        #expect(apps.output.contains("shop") && apps.output.contains("running"))
        let logs = try await app.soma("logs")
        #expect(logs.output.contains("restarting in") && logs.output.contains("serving on http://127.0.0.1:\(port)"))
    }

    @Test func killingTheSupervisorLeavesTheAppServingAndSupervised() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        // One restart of the worker first: the count and the uptime are the app's, not the supervisor's.
        kill(try #require(Int32(try await app.status()["worker_pid"] ?? "")), SIGKILL)
        try await Task.sleep(for: .milliseconds(100))
        #expect(await app.waitUntilServing(within: 5) != nil)
        try await Task.sleep(for: .milliseconds(1100))
        let before = try await app.status()
        #expect(before["restarts"] == "1")
        let supervisor = try #require(Int32(before["supervisor_pid"] ?? ""))
        kill(supervisor, SIGKILL)
        #expect(try await app.post("/Shop/stats", "{}").status == 200, "the worker keeps serving")
        var after: [String: String] = [:]
        for _ in 0..<200 {
            after = try await app.status()
            // The new supervisor shows up before it has adopted the worker: wait for both.
            if let pid = after["supervisor_pid"], pid != before["supervisor_pid"], after["worker_pid"] != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(after["supervisor_pid"] != before["supervisor_pid"], "a new supervisor took over")
        #expect(after["worker_pid"] == before["worker_pid"], "and adopted the running worker")
        #expect(after["restarts"] == "1", "the restart count survives the supervisor: \(after)")
        #expect((Int(after["uptime"] ?? "") ?? 0) >= 1, "the worker's uptime is not reset by the adoption: \(after)")
        // The adopted worker is still supervised: killing it brings a new one.
        kill(try #require(Int32(after["worker_pid"] ?? "")), SIGKILL)
        try await Task.sleep(for: .milliseconds(100))
        #expect(await app.waitUntilServing(within: 5) != nil)
    }

    @Test func checkErrorsStartNothing() async throws {
        let app = try LaunchedApp("cell Broken { face { signal f() -> Int } on f() { \"text\" } }", name: "broken")
        defer { app.finish() }
        let result = try await app.launch()
        #expect(result.status == 1)
        #expect(result.output.contains("error[type-mismatch]"))
        #expect(!FileManager.default.fileExists(atPath: app.appHome), "no app home")
    }

    @Test func aProgramThatCannotStartFailsItsLaunchAndIsMarkedFailed() async throws {
        let source = """
        cell Picky {
          face { signal ok() -> Bool }
          on start { fail("the start aborts") }
          on ok() { true }
        }
        """
        let app = try LaunchedApp(source, name: "picky", config: "[supervisor]\nmax_restarts = 2\nwithin = 60\n")
        defer { app.finish() }
        let result = try await app.launch()
        #expect(result.status == 1)
        #expect(result.error.contains("picky did not start") && result.error.contains("the worker keeps exiting"), "\(result.error)")
        #expect(result.error.contains("the start aborts"), "the log's tail names the cause")
        // The failure itself says why, and where in the user's file (not the copy kept with the version).
        #expect(result.error.contains("did not start: the worker keeps exiting: fail at picky.cell:3:"), "\(result.error)")
        let status = try await app.soma("status")
        #expect(status.status == 3 && status.error.contains("picky failed: the worker keeps exiting"))
        let json = try await app.soma("status", "--json")
        #expect(json.status == 3 && json.output.contains(#""state":"failed""#) && json.output.contains("the start aborts"), "\(json.output)")
        #expect(try await app.soma("apps").output.contains("failed"))
    }

    /// Until the cluster exists, what `scale` declares and what runs are both said; a resource on another
    /// host is refused before anything starts.
    @Test func whatCannotRunYetIsSaidPlainly() async throws {
        let scaled = try LaunchedApp("""
        cell Pricing {
          face { signal quote() -> Int }
          scale { replicas: 50 }
          on quote() { 1 }
        }
        """, name: "pricing")
        defer { scaled.finish() }
        let launched = try await scaled.launch()
        #expect(launched.status == 0, "\(launched.error)")
        #expect(launched.output.contains("Pricing: replicas: 50 declared, running 1 node on this machine"), "\(launched.output)")
        #expect(try await scaled.soma("status").output.contains("1 running (local); replicas: 50 declared"))
        #expect(try await scaled.status()["replicas_declared"] == "50")

        let remote = try LaunchedApp("""
        type Job = { id: String }
        cell Jobs {
          face { signal ok() -> Bool }
          let work = QueueService<Job>("work", on: "worker2")
          on work(job: Job) { }
          on ok() { true }
        }
        """, name: "jobs", config: "[hosts.worker2]\naddress = \"ssh://soma@10.0.0.2\"\n")
        defer { remote.finish() }
        let refused = try await remote.launch()
        #expect(refused.status == 1)
        #expect(refused.error.contains("QueueService<Job> 'work' is placed on host 'worker2' (jobs.cell:4:"), "\(refused.error)")
        #expect(refused.error.contains("nothing was started"))
        #expect(!FileManager.default.fileExists(atPath: remote.appHome), "a refused launch creates no app home")
    }

    @Test func aClosedStandardOutputIsNotACrash() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        // `soma launch app.cell | head -c 1`: the reader goes away while launch still prints.
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        close(descriptors[0])
        let path = try #require(SomaBinary.path)
        let result = try await Subprocess.run(
            .path(FilePath(path)), arguments: ["launch", "shop.cell"], environment: .inherit.updating(["SOMA_HOME": app.somaHome]),
            workingDirectory: FilePath(app.folder.path),
            output: .fileDescriptor(FileDescriptor(rawValue: descriptors[1]), closeAfterSpawningProcess: true), error: .string(limit: 1 << 16))
        #expect(result.terminationStatus == .exited(0), "\(result.terminationStatus): \(result.standardError)")
        #expect(try await app.status()["state"] == "serving")
    }

    /// The face on a shared machine: a foreign Host (DNS rebinding), a page's Origin and a call without the
    /// token are refused; half-sent requests are closed; connections beyond the limit wait.
    @Test func theFaceServesOnlyWhomItShould() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soma-token-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tokenFile = folder.appendingPathComponent("token").path
        try "s3cret\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let app = try LaunchedApp(Self.shop, name: "shop", config: """
            [face]
            allowed_origins = ["https://shop.example.com"]
            token_file = "\(tokenFile)"
            header_timeout = 1
            idle_timeout = 2
            max_connections = 2
            """)
        defer { app.finish() }
        let launched = try await app.launch()
        #expect(launched.status == 0, "\(launched.error)")
        let port = app.port
        func call(host: String = "127.0.0.1:\(port)", _ headers: String = "") -> Int? {
            RawHTTP.status(port: port, "POST /Shop/stats HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 2\r\nConnection: close\r\n\(headers)\r\n{}")
        }
        let bearer = "Authorization: Bearer s3cret\r\n"
        #expect(call(bearer) == 200)
        #expect(call() == 401, "no token")
        #expect(call("Authorization: Bearer wrong\r\n") == 401)
        #expect(call(host: "evil.example.net:\(port)", bearer) == 421, "DNS rebinding")
        #expect(call(bearer + "Origin: http://attacker.example\r\n") == 403)
        #expect(call(bearer + "Origin: https://shop.example.com\r\n") == 200)
        #expect(RawHTTP.status(port: port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n") == 200, "health needs no token")
        #expect(try await app.soma("send", "Shop.stats").status == 0, "soma send needs no token: the control socket checks the user")
        #expect(!app.logTail.contains("s3cret"), "the token is never logged")

        // Two connections that never finish their head fill the limit, and are closed after header_timeout;
        // only then is a third one served.
        let slow = [RawHTTP(port: port), RawHTTP(port: port)].compactMap { $0 }
        for client in slow { client.send("POST /Shop/stats HTTP/1.1\r\nHo") }
        try await Task.sleep(for: .milliseconds(100))
        let started = Date()
        #expect(call(bearer) == 200)
        #expect(Date().timeIntervalSince(started) > 0.5, "the third connection waited for a free place")
        for client in slow { #expect(client.readToEnd(within: 3).closed, "a half-sent request is closed") }
    }

    /// A token file that cannot be read stops the program before it starts, and launch says which file.
    @Test func anUnreadableTokenFileStartsNothing() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop", config: "[face]\ntoken_file = \"/nonexistent/soma.token\"\n[supervisor]\nmax_restarts = 1\nwithin = 60\n")
        defer { app.finish() }
        let result = try await app.launch()
        #expect(result.status == 1)
        #expect(result.error.contains("the face's token file /nonexistent/soma.token cannot be read"), "\(result.error)")
        #expect(!app.logTail.contains("serving on"), "the face never served")
    }

    /// Launch, stop, edit soma.toml, launch again: the settings apply and the code's version stays. Edited code
    /// under a stopped app's name is refused with what to do, and changes nothing.
    @Test func anEditedSomaTomlAppliesAtTheNextLaunch() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop", config: "[face]\nallowed_origins = [\"https://a.example\"]\n")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        let origin = "POST /Shop/stats HTTP/1.1\r\nHost: localhost\r\nOrigin: https://b.example\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        #expect(RawHTTP.status(port: app.port, origin) == 403)
        #expect(try await app.soma("stop").status == 0)
        try "[face]\nallowed_origins = [\"https://b.example\"]\n".write(to: app.folder.appendingPathComponent("soma.toml"), atomically: true, encoding: .utf8)
        let relaunched = try await app.launch()
        #expect(relaunched.status == 0, "\(relaunched.error)")
        #expect(relaunched.output.contains("settings: soma.toml changed"), "\(relaunched.output)")
        #expect(RawHTTP.status(port: app.port, origin) == 200, "the new setting applies")
        #expect(try await app.soma("versions").output.split(separator: "\n").count == 2, "still one version")

        #expect(try await app.soma("stop").status == 0)
        try (Self.shop + "\n// edited\n").write(to: app.folder.appendingPathComponent("shop.cell"), atomically: true, encoding: .utf8)
        let edited = try await app.launch()
        #expect(edited.status == 1 && edited.output.contains("code only") && edited.output.contains("only with --yes"), "\(edited.output)")
        #expect(edited.error.contains("is stopped again at version 1"), "\(edited.error)")
        #expect(try await app.soma("versions").output.split(separator: "\n").count == 2)
        #expect(try await app.soma("status").status == 3)
        let confirmed = try await app.launch(["--yes"])
        #expect(confirmed.status == 0 && confirmed.output.contains("launched shop (version 2)"), "\(confirmed.output)\(confirmed.error)")
    }

    static let stock = """
        type Item = { id: String, qty: Int }
        cell Stock {
          face {
            signal put(item: Item) -> String
            signal get(id: String) -> Option<Item>
          }
          memory { items: Map<String, Item> [persistent] }
          on put(item: Item) { items.set(item.id, item); item.id }
          on get(id: String) { items.get(id) }
        }
        """

    static func stock(migration: String) -> String {
        stock.replacingOccurrences(of: "type Item = { id: String, qty: Int }", with: """
            type Item @version(2) = { id: String, share: Int }
            migrate Item from 1 to 2 = fn(old) -> Item { id: old.id, share: \(migration) }
            """)
    }

    @Test func newCodeUnderAStoppedAppIsPlannedAgainstItsDataAndAppliedAsItStarts() async throws {
        let app = try LaunchedApp(Self.stock, name: "stock")
        defer { app.finish() }
        #expect(try await app.launch().status == 0)
        #expect(try await app.post("/Stock/put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)
        #expect(try await app.post("/Stock/put", #"{"item": {"id": "b", "qty": 0}}"#).status == 200)
        #expect(try await app.soma("stop").status == 0)
        let source = app.folder.appendingPathComponent("stock.cell")

        // The live value b makes this migration divide by zero: refused with the swap's code, still stopped at 1.
        try Self.stock(migration: "12 / old.qty").write(to: source, atomically: true, encoding: .utf8)
        let refused = try await app.launch(["--yes"])
        #expect(refused.status == 1 && refused.output.contains("refused[migration-fails]") && refused.output.contains(#"key "b""#), "\(refused.output)")
        #expect(refused.error.contains("is stopped again at version 1"), "\(refused.error)")
        #expect(try await app.soma("versions").output.split(separator: "\n").count == 2)
        let log = try String(contentsOfFile: "\(app.appHome)/logs/app.log", encoding: .utf8)
        #expect(log.components(separatedBy: "serving on http").count == 2, "the face opened only at the first launch: \(app.logTail)")
        #expect(log.contains("the face stays closed while a launch decides"))

        try Self.stock(migration: "old.qty * 4").write(to: source, atomically: true, encoding: .utf8)
        let launched = try await app.launch(["--yes"])
        #expect(launched.status == 0, "OUT \(launched.output) ERR \(launched.error)\n\(app.logTail)")
        #expect(launched.output.contains("Item 1 → 2: 2 stored values") && launched.output.contains("launched stock (version 2)"), "\(launched.output)")
        #expect(try await app.post("/Stock/get", #"{"id": "a"}"#).body == #"{"id":"a","share":12}"#)
        #expect(try await app.post("/Stock/get", #"{"id": "b"}"#).body == #"{"id":"b","share":0}"#)
        #expect(try await app.status()["version"] == "2")
    }

    @Test func aPortInUseIsRefusedWithTheReason() async throws {
        let first = try LaunchedApp(Self.shop, name: "shop")
        defer { first.finish() }
        #expect(try await first.launch().status == 0)
        let second = try LaunchedApp(Self.shop, name: "other")
        defer { second.finish() }
        let result = try await second.launch(["--port", String(first.port)])
        #expect(result.status == 1)
        #expect(result.error.contains("port \(first.port) is in use"))
        #expect(!FileManager.default.fileExists(atPath: second.appHome), "a refused launch creates no app home")
    }

    @Test func commandsOnAppsThatDoNotRunExitThree() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        #expect(try await app.soma("status").status == 3)
        #expect(try await app.soma("status", "--app", "nope").status == 3)
        #expect(try await app.soma("stop", "--app", "nope").status == 3)
        #expect(try await app.soma("send", "Shop.stats", "--app", "nope").status == 3)
        #expect(try await app.soma("send", "no-dot").status == 2)
    }

    @Test func foregroundSupervisorStopsOnSigterm() async throws {
        let app = try LaunchedApp(Self.shop, name: "shop")
        defer { app.finish() }
        let outputPath = app.folder.appendingPathComponent("foreground.out").path
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(output) }
        var updates: [Environment.Key: String?] = [:]
        updates["SOMA_HOME"] = app.somaHome
        let result = try await Subprocess.run(
            .path(FilePath(try #require(SomaBinary.path))), arguments: ["launch", "shop.cell", "--foreground"],
            environment: .inherit.updating(updates), workingDirectory: FilePath(app.folder.path), input: .none,
            output: .fileDescriptor(FileDescriptor(rawValue: output), closeAfterSpawningProcess: false), error: .discarded
        ) { execution in
            // It says so on stdout once it serves, and keeps running.
            var served = false
            for _ in 0..<500 {
                if (try? String(contentsOfFile: outputPath, encoding: .utf8))?.contains("launched shop") == true,
                   try await app.status()["state"] == "serving" {
                    served = true
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            try execution.send(signal: .terminate)
            return served
        }
        #expect(result.closureResult)
        #expect(result.terminationStatus == .exited(0))
        #expect(try String(contentsOfFile: outputPath, encoding: .utf8).contains("launched shop"))
        #expect(try await app.soma("status").status == 3)
    }
}
