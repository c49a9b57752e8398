import BackOffice
import Cron
import Database
import Foundation
import JobQueue
import ObjectStorage
import PostgresNIO
import Testing
import TestSupport

/// push-metrics: a day's figures in centavos, exactly; the same bytes when nothing changed;
/// the same figures once the month is closed; the 14-day catch-up.
@Suite struct MetricsTests {
    /// A day of a month no other test uses, with records whose sums are known.
    func knownDay(_ client: PostgresClient) async throws -> LocalDate {
        let year = await StudioFixture.years.next()
        let day = LocalDate(year: year, month: 6, day: 15)
        for statement in [
            "DELETE FROM extratos WHERE ano = \(year)", "DELETE FROM comissoes WHERE extract(year FROM data) = \(year)",
            "DELETE FROM pagamentos WHERE extract(year FROM data) = \(year)", "DELETE FROM sessoes WHERE extract(year FROM data) = \(year)",
            "DELETE FROM gastos WHERE extract(year FROM data) = \(year)",
            "INSERT INTO clientes (name) SELECT 'Conceição Métricas' WHERE NOT EXISTS (SELECT 1 FROM clientes)",
            "INSERT INTO artistas (name) SELECT 'Iara' WHERE NOT EXISTS (SELECT 1 FROM artistas)",
        ] { try await client.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger) }
        try await client.query(PostgresQuery(unsafeSQL: """
            WITH who AS (SELECT (SELECT min(id) FROM clientes) AS c, (SELECT min(id) FROM artistas) AS a),
            s AS (INSERT INTO sessoes (data, valor, cliente_id, artista_id)
                  SELECT DATE '\(day)', v, c, a FROM who, (VALUES (100.10), (50.05)) AS t(v) RETURNING id),
            p AS (INSERT INTO pagamentos (data, valor, forma_pagamento, cliente_id, artista_id)
                  SELECT DATE '\(day)', v, f, c, a FROM who, (VALUES (100.10, 'pix'), (50.05, 'dinheiro'), (19.99, 'cartao_credito')) AS t(v, f)
                  RETURNING id, valor)
            INSERT INTO comissoes (data, valor, percentual, pagamento_id, artista_id)
            SELECT DATE '\(day)', 30.00, 30, (SELECT id FROM p WHERE valor = 100.10), a FROM who
            """), logger: TestDatabase.logger)
        try await client.query(PostgresQuery(unsafeSQL: """
            INSERT INTO gastos (data, valor, descricao) VALUES (DATE '\(day)', 12.34, 'Agulhas'), (DATE '\(day)', 0.01, 'Troco'),
                                                              (DATE '\(day.adding(days: 1))', 999.99, 'No dia seguinte')
            """), logger: TestDatabase.logger)
        return day
    }

    func publisher(_ client: PostgresClient, store: any ObjectStore, branch: String) -> MetricsPublisher {
        MetricsPublisher(branch: BranchSettings(id: branch, name: "Estúdio Centro", currency: "BRL", timeZone: TimeZone(identifier: "America/Sao_Paulo")!),
                         store: store, client: client, logger: TestDatabase.logger)
    }

    func instant(_ day: LocalDate, hour: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Sao_Paulo")!
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: hour))!
    }

    @Test func aDaysFiguresAreExactCentavosAndTheSameOnceTheMonthIsClosed() async throws {
        try await TestDatabase.withClient { client in
            let day = try await knownDay(client)
            let branch = "metrics-\(UUID().uuidString.prefix(6).lowercased())"
            let store = try await TestObjectStorage.freshBucket("metrics")
            let publisher = publisher(client, store: store, branch: branch)
            let afterTheDay = instant(day.adding(days: 1), hour: 10)
            let summary = try await publisher.push(day, now: afterTheDay)

            let key = "\(branch)/metrics/\(day).json"
            let json = try JSONSerialization.jsonObject(with: try await store.get(key)) as! [String: Any]
            #expect(json["schema_version"] as? Int == 1 && json["branch_id"] as? String == branch)
            #expect(json["branch_name"] as? String == "Estúdio Centro" && json["currency"] as? String == "BRL")
            #expect(json["summary_date"] as? String == day.description && json["is_final"] as? Bool == true)
            #expect((json["generated_at"] as? String)?.hasSuffix("-03:00") == true, "in the branch's zone, with its offset")
            #expect(json["session_count"] as? Int == 2 && json["payment_count"] as? Int == 3)
            #expect(json["commission_count"] as? Int == 1 && json["expense_count"] as? Int == 2)
            #expect(json["gross_revenue"] as? Int == 17_014, "100.10 + 50.05 + 19.99")
            #expect(json["cash_collected"] as? Int == 5_005 && json["digital_collected"] as? Int == 12_009)
            #expect(json["total_commissions"] as? Int == 3_000 && json["total_expenses"] as? Int == 1_235)
            #expect(json["net_profit"] as? Int == 12_779, "17014 - 3000 - 1235")
            let methods = json["revenue_by_payment_method"] as? [String: Int]
            #expect(methods == ["pix": 10_010, "dinheiro": 5_005, "cartao_credito": 1_999, "cartao_debito": 0, "transferencia": 0, "outros": 0])
            #expect(json["source"] as? String == "records")

            // Pushed again with nothing changed: the same bytes.
            let first = try await store.get(key)
            _ = try await publisher.push(day, now: afterTheDay.addingTimeInterval(3600))
            #expect(try await store.get(key) == first)

            // The month is closed: its records are gone from the tables, the figures are not.
            let month = try StudioMonth(year: day.year, month: day.month)
            _ = try await Transaction.run(on: client, logger: TestDatabase.logger) { connection in
                try await ExtratoGenerator(logger: TestDatabase.logger).close(month, force: false, jobID: nil, on: connection)
            }
            #expect(try await client.scalar("SELECT count(*)::int FROM pagamentos WHERE data = \(day.description)::date", as: Int.self) == 0)
            let fromExtrato = try await publisher.push(day, now: afterTheDay)
            #expect(fromExtrato.source == "extrato")
            var expected = summary
            expected.source = "extrato"
            expected.generatedAt = fromExtrato.generatedAt
            #expect(fromExtrato == expected, "every figure from the extrato equals the figure from the records")
            let row = try await client.scalar("""
                SELECT gross_revenue FROM daily_summaries WHERE branch = \(branch) AND summary_date = \(day.description)::date
                """, as: Int64.self)
            #expect(row == 17_014, "daily_summaries holds the day too")
        }
    }

    @Test func aDayStillUnderWayIsNotFinal() async throws {
        try await TestDatabase.withClient { client in
            let day = try await knownDay(client)
            let store = LocalDirectoryStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("ns-m-\(UUID().uuidString)"))
            let summary = try await publisher(client, store: store, branch: "m-\(UUID().uuidString.prefix(6))").push(day, now: instant(day, hour: 21))
            #expect(!summary.isFinal && summary.grossRevenue == 17_014)
        }
    }

    @Test func catchUpPushesTheMissingAndTheUnfinishedDaysOfTheLastFourteen() async throws {
        try await TestDatabase.withClient { client in
            let day = try await knownDay(client)
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("ns-catchup-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let store = LocalDirectoryStore(root: root)
            let branch = "catchup-\(UUID().uuidString.prefix(6).lowercased())"
            let publisher = publisher(client, store: store, branch: branch)
            // Today is the known day, at 21:45: thirteen days over, today under way.
            let pushed = try await publisher.catchUp(today: day, now: instant(day, hour: 21))
            #expect(pushed.count == 14 && pushed.first == day.adding(days: -13) && pushed.last == day)
            #expect(try await store.list(prefix: "\(branch)/metrics/").count == 14)
            #expect(try await publisher.catchUp(today: day, now: instant(day, hour: 22)).isEmpty, "nothing missing, nothing newly final")
            // One object lost, and the next morning today's push is final.
            try await store.delete(["\(branch)/metrics/\(day.adding(days: -5)).json"])
            let again = try await publisher.catchUp(today: day.adding(days: 1), now: instant(day.adding(days: 1), hour: 9))
            #expect(Set(again) == [day.adding(days: -5), day, day.adding(days: 1)], "the lost day, yesterday made final, and today")
            let final = try JSONSerialization.jsonObject(with: try await store.get("\(branch)/metrics/\(day).json")) as! [String: Any]
            #expect(final["is_final"] as? Bool == true && final["gross_revenue"] as? Int == 17_014)
        }
    }
}
