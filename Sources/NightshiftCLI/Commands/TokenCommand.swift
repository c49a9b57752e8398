import API
import ArgumentParser
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "API tokens.", subcommands: [TokenCreateCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Mint an API token (HS256 JWT signed with JWT_SECRET_KEY) and print it.",
        discussion: """
            Seed 000's ten-year service account: nightshift token create --subject service-account \
            --role admin --days 3650. Roles: viewer (reads), operator (also enqueues, retries, \
            cancels), admin (everything). Rotating JWT_SECRET_KEY invalidates every token unless the old one is kept in JWT_PREVIOUS_SECRET_KEY meanwhile.
            """)
    @Option(help: "Who the token is for (its sub claim), e.g. service-account.") var subject: String
    @Option(help: "viewer, operator or admin.") var role: String
    @Option(help: "Days until it expires.") var days: Int = 30

    func validate() throws {
        guard Role(rawValue: role) != nil else { throw ValidationError("--role '\(role)' is not viewer, operator or admin") }
        guard (1...36_500).contains(days) else { throw ValidationError("--days must be 1…36500, got \(days)") }
        guard !subject.isEmpty, subject.count <= 200 else { throw ValidationError("--subject must be 1…200 characters") }
    }

    func run() async throws {
        let authority = try await TokenAuthority(secret: try Launch.settings().jwtSecret)
        print(try await authority.mint(subject: subject, role: Role(rawValue: role)!, lifetime: .seconds(days * 86_400)))
    }
}
