import API
import BackOffice
import Database
import Foundation
@testable import NightshiftCLI
import NightshiftCore
import Testing
import TestSupport

/// The one place the environment is read: the seeds' variable names, their defaults, and an
/// error naming the variable for each wrong value.
@Suite struct SettingsTests {
    @Test func settingsComeFromTheSeedsVariables() throws {
        let settings = try Settings(environment: ["TZ": "America/Sao_Paulo", "ENABLE_MONTHLY_EXTRATO_JOB": "false"])
        #expect(settings.schedules.monthlyExtrato == false)
        #expect(settings.schedules.nightlyDump == true)
        #expect(settings.backOffice.branchTimeZone.identifier == "America/Sao_Paulo")
        #expect(settings.backOffice.requireBackup == true)
        #expect(settings.backOffice.backupDirectory.lastPathComponent == "backups")
        #expect(settings.database == nil)
        #expect(settings.api.dashboardLanguage == .portuguese)
        #expect(try Settings(environment: ["DASHBOARD_LANG": "en"]).api.dashboardLanguage == .english)
        #expect(try Settings(environment: ["DASHBOARD_LANG": "pt_BR"]).api.dashboardLanguage == .portuguese)
        #expect(throws: ConfigurationError.self) { try Settings(environment: ["BRANCH_TZ": "Nowhere/City"]) }
        #expect { try Settings(environment: ["ENABLE_NIGHTLY_DUMP_JOB": "maybe"]) } throws: {
            "\($0)".contains("ENABLE_NIGHTLY_DUMP_JOB=maybe is not a boolean")
                && ($0 as? ConfigurationError)?.setting == "ENABLE_NIGHTLY_DUMP_JOB"
        }
    }

    @Test(arguments: [
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL is not a postgres:// URL"),
        ("TZ", "Mars/Base", "TZ=Mars/Base is not an IANA time zone"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT=xml is not text or json"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL=loud is not one of"),
        ("EXTRATO_REQUIRE_BACKUP", "perhaps", "EXTRATO_REQUIRE_BACKUP=perhaps is not a boolean"),
        ("DASHBOARD_LANG", "fr", "DASHBOARD_LANG is 'fr'; use pt-BR (the default) or en"),
        ("BRANCH_ID", ".x", "BRANCH_ID=.x must be letters, digits, '-', '_' or '.', starting with a letter or digit"),
        ("BRANCH_ID", "-loja", "starting with a letter or digit"),
    ])
    func aWrongValueNamesItsVariable(name: String, value: String, message: String) {
        #expect { try Settings(environment: [name: value]) } throws: { error in
            "\(error)".contains(message) && (error as? ConfigurationError)?.setting == name
        }
    }

    /// break-dumps 11: the drill runs `pg_restore --clean` into RESTORE_DATABASE_URL, so it may
    /// not name production (DATABASE_URL or DUMP_DATABASE_URL), however the host is written.
    @Test func aRestoreDatabaseThatIsProductionIsRefusedNamingBothVariables() throws {
        let cases: [(name: String, production: String, restore: String)] = [
            ("DATABASE_URL", "postgres://u:secret@localhost:5432/studio", "postgres://drill@127.0.0.1/studio"),
            ("DATABASE_URL", "postgres://u@DB.example.com:6543/studio", "postgres://x@db.example.com:6543/studio?sslmode=require"),
            ("DUMP_DATABASE_URL", "postgres://u@[::1]:5433/loja", "postgres://u@localhost:5433/loja"),
            ("DUMP_DATABASE_URL", "postgres://u@localhost:5433/loja", "postgres://u@:5433/loja?host=/var/run/postgresql"),
        ]
        for (name, production, restore) in cases {
            let environment = [name: production, "RESTORE_DATABASE_URL": restore]
            #expect { try Settings(environment: environment) } throws: { error in
                "\(error)".contains("RESTORE_DATABASE_URL names the same database as \(name)")
                    && (error as? ConfigurationError)?.setting == "RESTORE_DATABASE_URL" && !"\(error)".contains("secret")
            }
        }
        // Another database on the same server, or the same name on another server or port, is fine.
        for restore in ["postgres://u@localhost:5432/studio_drill", "postgres://u@backup.example.com:5432/studio",
                        "postgres://u@localhost:5433/studio"] {
            let settings = try Settings(environment: ["DATABASE_URL": "postgres://u@localhost:5432/studio", "RESTORE_DATABASE_URL": restore])
            #expect(settings.backOffice.dumps.restoreDatabase != nil)
        }
    }

    /// break-close 13: `GMT-0300` / `UTC-3` read as zones by Foundation, but PostgreSQL (which
    /// computes the month close gaps in TZ for the home page and the gauges) rejects them: the
    /// setting is refused, naming TZ and a zone both accept. Checked against the real server.
    @Test func anOffsetPostgreSQLRejectsIsRefusedAsTZAndTheSuggestedZoneWorksInPostgreSQL() async throws {
        for (name, value) in [("TZ", "GMT-0300"), ("TZ", "UTC-3"), ("TZ", "GMT-03:00"), ("BRANCH_TZ", "GMT+0530")] {
            #expect { try Settings(environment: [name: value]) } throws: { error in
                "\(error)".contains("\(name)=\(value) is an offset PostgreSQL does not accept") && (error as? ConfigurationError)?.setting == name
                    && (value.hasSuffix("30") || "\(error)".contains("Etc/GMT+3"))
            }
        }
        for value in ["America/Sao_Paulo", "Etc/GMT+3", "UTC", "GMT"] {
            let zone = try Settings(environment: ["TZ": value]).backOffice.timeZone
            try await TestDatabase.withClient { client in
                let local = try await client.scalar("SELECT to_char(now() AT TIME ZONE \(zone.identifier), 'YYYY')", as: String.self)
                #expect(local?.count == 4, "PostgreSQL accepts \(zone.identifier)")
            }
        }
        try await TestDatabase.withClient { client in
            for value in ["GMT-0300", "UTC-3"] {
                let identifier = TimeZone(identifier: value)?.identifier ?? value
                await #expect(throws: (any Error).self, "PostgreSQL rejects \(identifier): the rule above is needed") {
                    _ = try await client.scalar("SELECT to_char(now() AT TIME ZONE \(identifier), 'YYYY')", as: String.self)
                }
            }
        }
    }

    @Test func aURLWithoutAUserConnectsAsTheOperatingSystemUser() throws {
        let settings = try Settings(environment: ["DATABASE_URL": "postgres://db.local/studio", "USER": "maria"])
        #expect(settings.database?.username == "maria")
        #expect(try Settings(environment: ["DATABASE_URL": "postgres://db.local/studio"]).database?.username == "postgres")
    }

    @Test func aMissingDatabaseURLSaysHowToSetIt() throws {
        #expect { try Settings(environment: [:]).requireDatabase() } throws: { error in
            "\(error)".contains("export DATABASE_URL=postgres://")
        }
    }

    @Test func remediesAreWordedAsCommands() {
        #expect(ErrorText.command(for: .backUpFromExtrato(year: 2026, month: 10))
            .hasPrefix("run `nightshift backup create --year 2026 --month 10 --from-extrato`"))
        #expect(ErrorText.describe(MigrationError.schemaTooOld(current: nil, required: 4))
            == "the database has never been migrated, this build needs version 4; run `nightshift migrate`")
        let month = try! StudioMonth(year: 2026, month: 10)
        #expect(ErrorText.describe(BackupError.missingOrInvalid(month, problems: ["x does not exist"]))
            == "backup for 10/2026 missing or invalid: x does not exist; run `nightshift backup create --year 2026 --month 10`")
    }
}
