import API
import BackOffice
import Database
import Foundation
@testable import NightshiftCLI
import NightshiftCore
import Testing

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
    ])
    func aWrongValueNamesItsVariable(name: String, value: String, message: String) {
        #expect { try Settings(environment: [name: value]) } throws: { error in
            "\(error)".contains(message) && (error as? ConfigurationError)?.setting == name
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
        #expect(ErrorText.describe(MigrationError.schemaTooOld(current: nil, required: 4))
            == "the database has never been migrated, this build needs version 4; run `nightshift migrate`")
        let month = try! StudioMonth(year: 2026, month: 10)
        #expect(ErrorText.describe(BackupError.missingOrInvalid(month, problems: ["x does not exist"]))
            == "backup for 10/2026 missing or invalid: x does not exist; run `nightshift backup create --year 2026 --month 10`")
    }
}
