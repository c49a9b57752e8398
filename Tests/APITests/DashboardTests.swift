import Foundation
import NightshiftCore
import BackOffice
import JobQueue
import ObjectStorage
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// The dashboard in a real browser (headless Chromium, Debian's package) against a running
/// server with seeded data, and its guards checked over plain HTTP.
@Suite(.serialized) struct DashboardTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Seed 004's multi-branch view, read from the store's `{branch}/metrics/` and `{branch}/backups/`.
    @Test func theBranchesPageReadsEveryBranchFromTheBucket() async throws {
        try await APIHarness.with { api in
            let store = LocalDirectoryStore(root: api.backups.appendingPathComponent("store"))
            for (branch, day, revenue) in [("centro", "2026-11-29", 123_456), ("centro", "2026-11-30", 98_765_432), ("praia", "2026-11-30", 5)] {
                // Seed 004's JSON shape, as push-metrics writes it.
                let summary: [String: Any] = [
                    "schema_version": 1, "branch_id": branch, "branch_name": branch, "summary_date": day, "generated_at": "\(day)T23:59:00-03:00",
                    "is_final": true, "currency": "BRL", "source": "records", "session_count": 1, "payment_count": 1, "commission_count": 0,
                    "expense_count": 0, "gross_revenue": revenue, "revenue_by_payment_method": ["pix": revenue], "cash_collected": 0,
                    "digital_collected": revenue, "total_commissions": 0, "total_expenses": 0, "net_profit": revenue,
                ]
                _ = try await store.put("\(branch)/metrics/\(day).json", data: try JSONSerialization.data(withJSONObject: summary), contentType: "application/json")
            }
            _ = try await store.put("centro/backups/centro_20261130_220005.dump", data: Data("PGDMP".utf8), contentType: "application/octet-stream")
            let token = try await api.token(.viewer, subject: "dona")
            let (status, _, html) = try await DashboardHTTP.with(port: api.port) { try await $0.send(.GET, "/ui/branches", cookie: token) }
            #expect(status == 200)
            #expect(html.contains("data-branch=\"centro\"") && html.contains("data-branch=\"praia\""), "\(html.prefix(2000))")
            #expect(html.contains("R$ 987.654,32") && html.contains("R$ 0,05"), "exact centavos: \(html.prefix(3000))")
            #expect(html.contains("<svg"), "a revenue chart per branch")
            #expect(html.contains("data-status=\"green\"") && html.contains("data-status=\"red\""), "centro has a fresh dump, praia none")
        }
    }

    /// A page for one backup: per table the rows and the drill's finding, and the commands to
    /// fetch and restore it — from the bucket, or in local-only mode (no `BACKUP_S3_*`) from the
    /// folder standing for it, where no bucket exists to copy from.
    @Test(arguments: [false, true])
    func theBackupPageShowsEachTablesFindingAndTheCommandsToRestoreIt(localOnly: Bool) async throws {
        let bucket: (any ObjectStore)? = localOnly ? nil : try await TestObjectStorage.freshBucket("page")
        try await APIHarness.with(objectStore: bucket) { api in
            let branch = "page-\(UUID().uuidString.prefix(6).lowercased())"
            let key = "\(branch)/backups/\(branch)_20261130_220005.dump"
            let id = try await BackupFactory.insert(api.client, branch: branch, objectKey: key, sha256: String(repeating: "ab", count: 32))
            try await BackupFactory.recordDrill(api.client, id: id, tables: ["public.clientes": 12, "public.gastos": 30], differing: "public.clientes")
            let token = try await api.token(.viewer, subject: "dona")
            let (list, html) = try await DashboardHTTP.with(port: api.port) { web in
                let list = try await web.send(.GET, "/ui/backups", cookie: token)
                let page = try await web.send(.GET, "/ui/backups/\(id)", cookie: token)
                #expect(list.0 == 200 && page.0 == 200)
                return (list.2, page.2)
            }
            #expect(list.contains("href=\"/ui/backups/\(id)\""), "the list links to the page")
            #expect(html.contains("data-table=\"public.clientes\" data-check=\"differs\"") && html.contains("CONTEÚDO DIFERENTE"), "\(html)")
            #expect(html.contains("data-table=\"public.gastos\" data-check=\"matched\"") && html.contains("conteúdo igual"), "\(html)")
            #expect(html.contains("id=\"drill-reason\"") && html.contains("public.clientes (same row count"), "the drill's reason")
            #expect(html.contains("nightshift backups restore --id \(id) --target-url"), "the restore command")
            #expect(html.contains("sha256sum -c"), "check by hand")
            if localOnly {
                let path = api.backups.appendingPathComponent("store").appendingPathComponent(key).path
                #expect(html.contains("cp &quot;\(path)&quot;") && !html.contains("s3://") && !html.contains("aws s3"),
                        "local-only: the file's path, no bucket: \(html)")
            } else {
                #expect(html.contains("s3://$BACKUP_S3_BUCKET/\(key)"), "download from the bucket")
            }
            #expect(html.contains("pg_restore"), "and restore it")
        }
    }

    /// Over plain HTTP: the cookie's flags, a viewer sees no buttons, a forged post is a 403.
    @Test func theGuardsHoldWithoutABrowser() async throws {
        try await APIHarness.with { api in try await DashboardHTTP.with(port: api.port) { web in try await guards(api, web) } }
    }

    func guards(_ api: APIHarness, _ web: DashboardHTTP) async throws {
        func csrf(in html: String) throws -> String {
            try #require(html.range(of: #"name="csrf" value="[0-9a-f]{64}""#, options: .regularExpression).map {
                String(html[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
            })
        }
        let queue = TestDatabase.uniqueQueue("dash")
        let discarded = try await JobFactory.insert(api.client, queue: queue, state: .discarded)
        let unsigned = try await web.send(.GET, "/ui/jobs/\(discarded)")
        #expect(unsigned.0 == 303 && unsigned.1["location"].first == "/sign-in")

        let viewer = try await api.token(.viewer, subject: "viewer")
        let signIn = try await web.send(.POST, "/sign-in", form: "token=\(viewer.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        #expect(signIn.0 == 303 && signIn.1["location"].first == "/")
        let setCookie = try #require(signIn.1["set-cookie"].first)
        #expect(setCookie.hasPrefix("nightshift_session=\(viewer);") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
        #expect(!setCookie.contains("Secure"), "plain HTTP here; behind TLS it is Secure")
        let bad = try await web.send(.POST, "/sign-in", form: "token=forged")
        #expect(bad.0 == 401 && bad.1["set-cookie"].isEmpty && bad.2.contains("Token recusado"))

        let (status, _, html) = try await web.send(.GET, "/ui/jobs/\(discarded)", cookie: viewer)
        #expect(status == 200 && html.contains(#"data-state="discarded">descartado"#) && !html.contains("/retry"), "a viewer sees no buttons")
        // Pages reload themselves every 30 s and say when they were read; ?refresh=off stops it.
        #expect(html.contains(#"<meta http-equiv="refresh" content="30">"#) && html.contains("Lida às")
                && html.contains(#"href="/ui/jobs/\#(discarded)?refresh=off">parar</a>"#), "\(html.prefix(3_000))")
        let stopped = try await web.send(.GET, "/ui/jobs/\(discarded)?refresh=off", cookie: viewer).2
        #expect(!stopped.contains("http-equiv=\"refresh\"") && stopped.contains(#"href="/ui/jobs/\#(discarded)">retomar</a>"#))
        let viewerCSRF = try csrf(in: html)
        #expect(try await web.send(.POST, "/ui/jobs/\(discarded)/retry", cookie: viewer, form: "csrf=\(viewerCSRF)").0 == 403, "a viewer may not retry")

        let operatorToken = try await api.token(.operator, subject: "op")
        #expect(try await web.send(.POST, "/ui/jobs/\(discarded)/retry", cookie: operatorToken, form: "").0 == 403, "no CSRF token")
        #expect(try await web.send(.POST, "/ui/jobs/\(discarded)/retry", cookie: operatorToken, form: "csrf=\(viewerCSRF)").0 == 403,
                "another session's CSRF token")
        #expect(try await api.client.scalar("SELECT state::text FROM jobs WHERE id = \(discarded)", as: String.self) == "discarded")
        let mine = try csrf(in: try await web.send(.GET, "/ui/jobs/\(discarded)", cookie: operatorToken).2)
        #expect(try await web.send(.POST, "/ui/jobs/\(discarded)/retry", cookie: operatorToken, form: "csrf=\(mine)").0 == 303)
        #expect(try await api.client.scalar("SELECT state::text FROM jobs WHERE id = \(discarded)", as: String.self) == "available")
        // A running job's progress, on its page.
        let running = try await JobFactory.insert(api.client, queue: queue, state: .running, attempt: 1, lockedBy: "w/1")
        #expect(try await JobStore(client: api.client, logger: TestDatabase.logger)
            .recordProgress(AttemptRef(id: running, attempt: 1), WorkProgress(done: 1_500, total: 6_000, unit: .records, step: "2025-01")))
        let progressPage = try await web.send(.GET, "/ui/jobs/\(running)", cookie: viewer).2
        #expect(progressPage.contains(#"<progress value="1500" max="6000"></progress>"#) && progressPage.contains("1.500 de 6.000 registros (25 %)")
                && progressPage.contains("tentativa 1, 2025-01"), "\(progressPage)")
        // No page answers with data for a token it cannot verify.
        let schedulesPage = try await web.send(.GET, "/ui/schedules", cookie: viewer)
        #expect(schedulesPage.0 == 200 && schedulesPage.2.contains("<td>nightly-dump</td>") && schedulesPage.2.contains("<code>0 22 * * *</code>"),
                "\(schedulesPage.2)")
        for path in ["/", "/ui/jobs", "/ui/queues", "/ui/schedules", "/ui/backups", "/ui/extratos"] {
            let answer = try await web.send(.GET, path, cookie: "forged")
            #expect(answer.0 == 303 && !answer.2.contains(queue), "\(path)")
        }
    }
}

/// The dashboard in headless Chromium. ops/test.sh runs it on its own, after the other tests:
/// a browser on two cores would starve the timing of the tests running beside it.
@Suite(.serialized) struct DashboardBrowserTests {
    static let repository = DashboardTests.repository
    static let chromium = DashboardTests.chromium

    @Test(.enabled(if: chromium != nil, "chromium (Debian), installed by ops/test.sh"))
    func aBrowserSignsInReadsTheSafetyNetAndRetriesADiscardedJob() async throws {
        try await APIHarness.with { api in
            let queue = TestDatabase.uniqueQueue("dash")
            let discarded = try await JobFactory.insert(api.client, queue: queue, state: .discarded)
            // 60 discarded jobs of their own queue, for the filters, two pages and the bulk retry.
            let bulkQueue = TestDatabase.uniqueQueue("bulk")
            var bulk: [Int64] = []
            for _ in 0..<60 { bulk.append(try await JobFactory.insert(api.client, queue: bulkQueue, state: .discarded)) }
            let token = try await api.token(.operator, subject: "Conceição")
            let shots = FileManager.default.temporaryDirectory.appendingPathComponent("nightshift-dashboard-screenshots")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Self.repository.appendingPathComponent("ops/browser-check.py").path,
                                 "http://127.0.0.1:\(api.port)", token, "\(discarded)", shots.path, bulkQueue]
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(said)")
            let page = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self)) \(said)")

            #expect(page["unsigned_path"] as? String == "/sign-in" && page["sign_in_form"] as? Int == 1, "no page answers without a token")
            #expect(page["home_path"] as? String == "/" && page["home_title"] as? String == "Rede de segurança")
            let lines = try #require(page["home_lines"] as? [[String]])
            #expect(lines.count == 8, "\(lines)")
            #expect(lines.allSatisfy { ["green", "amber", "red"].contains($0[0]) })
            #expect(lines.contains { $0[1].hasPrefix("Backup do mês") } && lines.contains { $0[1] == "Teste de restauração" })
            let home = page["home_text"] as? String ?? ""
            #expect(home.contains("Conceição") && home.contains("America/Sao_Paulo"), "accents and the zone render: \(home)")
            #expect(page["cookie_visible_to_script"] as? String == "", "the session cookie is HttpOnly")
            #expect(page["job_state_before"] as? [String] == ["discarded", "descartado"] && page["retry_buttons"] as? Int == 1)
            #expect(page["job_state_after"] as? [String] == ["available", "disponível"], "\(page["job_text"] ?? "")")
            // The Portuguese pages name states in Portuguese; the raw names stay in attributes.
            let rawStates = try Regex("\\b(" + JobState.allCases.map(\.rawValue).joined(separator: "|") + ")\\b")
            for key in ["job_text", "queues_text", "filtered_text"] {
                let text = page[key] as? String ?? ""
                #expect(text.firstMatch(of: rawStates) == nil, "\(key) shows a raw state name: \(text.prefix(1_500))")
            }
            #expect(try await api.client.scalar("SELECT state::text FROM jobs WHERE id = \(discarded)", as: String.self) == "available")
            #expect((page["queues_svg"] as? Int ?? 0) >= 1 && (page["queues_text"] as? String ?? "").contains(queue))
            #expect(page["backups_title"] as? String == "Backups" && page["extratos_title"] as? String == "Extratos")
            // Filters, keyset paging and the bulk retry, pressed in the browser.
            #expect((page["filtered_search"] as? String ?? "").contains("queue=\(bulkQueue)"))
            let first = try #require(page["filtered_rows"] as? [[Any]])
            let second = try #require(page["next_rows"] as? [[Any]])
            #expect(first.count == 50 && second.count == 10, "\(first.count) + \(second.count) rows")
            let shown = (first + second).compactMap { $0.first as? Int }.map(Int64.init)
            #expect(shown == bulk.sorted(by: >), "both pages, newest first, each job once")
            #expect((first + second).allSatisfy { $0[1] as? String == "discarded" && $0[2] as? String == bulkQueue })
            #expect(page["next_has_next"] as? Bool == false)
            #expect((page["bulk_count"] as? String ?? "").contains("60 job(s)"), "\(page["bulk_count"] ?? "")")
            #expect(try await api.client.scalar("""
                SELECT count(*)::int FROM jobs WHERE queue = \(bulkQueue) AND state = 'available'
                """, as: Int.self) == 60, "the bulk retry made all 60 available")
            // On a 390 px phone no page is wider than the screen.
            let widths = try #require(page["phone_widths"] as? [String: [Int]])
            #expect(widths.count == 9)
            for (path, measured) in widths {
                #expect(measured.count == 2 && measured[0] <= measured[1] && measured[1] <= 390, "\(path): scroll width \(measured)")
            }
            for shot in ["01-sign-in.png", "02-home.png", "03-job-discarded.png", "04-job-retried.png", "05-backups.png"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: shots.appendingPathComponent(shot).path)[.size] as? Int) ?? 0
                #expect(size > 1_000, "screenshot \(shot)")
            }
        }
    }
}
