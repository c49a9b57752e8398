import Database
import Testing

@Suite struct DatabaseURLTests {
    @Test func parsesEveryPart() throws {
        let url = try DatabaseURL(parsing: "postgres://app:s3cr%40t@db.example:6543/studio?sslmode=require")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.username == "app")
        #expect(url.password == "s3cr@t")
        #expect(url.database == "studio")
        #expect(url.sslMode == .require)
    }

    @Test func descriptionHidesThePassword() throws {
        let url = try DatabaseURL(parsing: "postgresql://app:hunter2@localhost/db")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "postgres://app:***@localhost:5432/db")
        #expect(url.redacting("auth failed for hunter2") == "auth failed for ***")
    }

    @Test(arguments: [
        ("mysql://a@b/c", "not a postgres:// URL"),
        ("postgres://a@b", "names no database"),
        ("postgres://a@b/c?sslmode=sometimes", "sslmode 'sometimes'"),
    ])
    func rejectsBadURLsWithAMessageThatSaysWhatToDo(input: String, expected: String) {
        #expect {
            try DatabaseURL(parsing: input)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains("DATABASE_URL")
        }
    }

    @Test func acceptsASocketDirectory() throws {
        let url = try DatabaseURL(parsing: "postgres://me@/db?host=/tmp/pg")
        #expect(url.socketDirectory == "/tmp/pg")
    }
}
