import BackOffice
import Foundation
import Hummingbird
import JobQueue
import ObjectStorage

/// The operator's pages, served by `nightshift serve` at `/`, behind the API's tokens: a
/// sign-in form keeps the token in an HttpOnly, SameSite=Strict cookie; forms that change
/// something carry a CSRF token; viewers see no buttons, and a post without the role or the
/// CSRF token is a 403. Each page gathers its values (a `…Page` type) and renders its template
/// (`Templates/`) in the language of `DASHBOARD_LANG`.
struct DashboardRoutes {
    let dependencies: APIDependencies
    let authority: TokenAuthority
    let renderer: PageRenderer

    init(dependencies: APIDependencies, authority: TokenAuthority, language: DashboardLanguage) throws {
        self.dependencies = dependencies
        self.authority = authority
        renderer = PageRenderer(templates: try DashboardTemplates(), catalog: .of(language), zone: dependencies.backOffice.timeZone)
    }

    var t: Catalog { renderer.catalog }

    func register(_ router: Router<APIContext>) {
        router.get("/") { request, _ in try await page(request) { _, format in try await HomePage(dependencies: dependencies, format: format).content() } }
        router.get("/sign-in") { _, _ in PageResponse.page(signInPage(error: nil)) }
        router.post("/sign-in") { request, _ in
            let fields = FormBody.fields(try await Self.body(request))
            let token = (fields["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                _ = try await authority.verify(token)
            } catch {
                return PageResponse.page(signInPage(error: t("signin_refused", ["reason": "\(error)"])), status: .unauthorized)
            }
            return PageResponse.redirect("/", extra: [.setCookie: DashboardSession.setCookie(token, request: request)])
        }
        router.post("/sign-out") { request, _ in
            guard let session = await DashboardSession.of(request, authority: authority),
                  session.accepts(FormBody.fields(try await Self.body(request))) else { return forbidden(t["forbidden_form"]) }
            return PageResponse.redirect("/sign-in", extra: [.setCookie: DashboardSession.clearCookie])
        }
        router.get("/ui/jobs") { request, _ in
            try await page(request) { session, format in
                let filter = JobsPage.Filter { request.uri.queryParameters.get($0) }
                let list = try await dependencies.store.jobs(JobFilter(
                    states: filter.state.map { [$0] } ?? [], kind: filter.kind, queue: filter.queue, beforeID: filter.before,
                    limit: JobsPage.pageSize))
                return JobsPage(filter: filter, jobs: list, session: session, format: format).content()
            }
        }
        // A bulk action on the filtered jobs: the first post shows how many, the second (with
        // `confirm`) acts, through the same store calls as the CLI and the API.
        router.post("/ui/jobs/bulk/:verb") { request, context in
            let verb = context.parameters.get("verb") ?? ""
            let filter = JobsPage.Filter { request.uri.queryParameters.get($0) }
            guard ["retry", "cancel"].contains(verb), filter.state != nil else { return forbidden(t["forbidden_bulk"]) }
            return try await action(request, fields: true) { _, fields in
                let store = dependencies.store
                let selection = try filter.selection(BulkAction(rawValue: verb) ?? .cancel)
                guard fields["confirm"] != nil else {
                    return .page(BulkConfirmPage(verb: verb, filter: filter, preview: try await store.preview(selection),
                                                 format: renderer.format()).content())
                }
                _ = try await store.perform(selection)
                var after = filter
                after.state = verb == "retry" ? nil : .cancelled
                return .redirect("/ui/jobs?\(after.query())")
            }
        }
        router.get("/ui/jobs/:id") { request, context in
            try await page(request) { _, format in
                let id = try context.parameters.require("id", as: Int64.self)
                let store = dependencies.store
                guard let job = try await store.job(id) else { return notFound(t("job_title_bare", ["id": id]), back: ("/ui/jobs", t["nav_jobs"])) }
                let (waitsFor, waitedBy) = try await (store.dependencies(of: id), store.dependents(of: id))
                return JobPage(job: job, waitsFor: waitsFor, waitedBy: waitedBy, format: format).content()
            }
        }
        router.post("/ui/jobs/:id/retry") { request, context in
            try await action(request) { _ in
                let id = try context.parameters.require("id", as: Int64.self)
                _ = try await dependencies.store.retry(id)
                return "/ui/jobs/\(id)"
            }
        }
        router.post("/ui/jobs/:id/cancel") { request, context in
            try await action(request) { _ in
                let id = try context.parameters.require("id", as: Int64.self)
                _ = try await dependencies.store.cancel(id)
                return "/ui/jobs/\(id)"
            }
        }
        router.get("/ui/queues") { request, _ in
            try await page(request) { session, format in try await QueuesPage(dependencies: dependencies, format: format).content(session) }
        }
        router.post("/ui/queues/:queue/pause") { request, context in
            try await action(request, fields: true) { session, fields in
                let queue = try QueueRoutes.queue(context)
                let reason = fields["reason"].flatMap { $0.isEmpty ? nil : $0 }
                _ = try await dependencies.store.pause(queue: queue, by: session.identity.subject, reason: reason)
                return .redirect("/ui/queues")
            }
        }
        router.post("/ui/queues/:queue/resume") { request, context in
            try await action(request) { _ in
                _ = try await dependencies.store.resume(queue: try QueueRoutes.queue(context))
                return "/ui/queues"
            }
        }
        router.get("/ui/schedules") { request, _ in
            try await page(request) { _, format in try await SchedulesPage(dependencies: dependencies, format: format).content() }
        }
        router.get("/ui/backups") { request, _ in
            try await page(request) { _, format in try await BackupsPage(dependencies: dependencies, format: format).content() }
        }
        router.get("/ui/backups/:id") { request, context in
            try await page(request) { _, format in
                let id = try context.parameters.require("id", as: Int64.self)
                guard let record = try await dependencies.backups.record(id) else {
                    return notFound(t("backup_title_bare", ["id": id]), back: ("/ui/backups", t["nav_backups"]))
                }
                return BackupPage(record: record, localStore: (dependencies.objectStore as? LocalDirectoryStore)?.root, format: format).content()
            }
        }
        router.get("/ui/extratos") { request, _ in
            try await page(request) { _, format in try await ExtratosPage(dependencies: dependencies, format: format).content() }
        }
        router.get("/ui/branches") { request, _ in
            try await page(request) { _, format in
                guard let store = dependencies.objectStore else {
                    return DashboardPage(template: .message, title: t["branches_title"],
                                       view: PageRenderer.MessageView(text: t["branches_no_bucket"]))
                }
                return try await BranchesPage(store: store, format: format).content()
            }
        }
    }

    // MARK: - Plumbing

    static func body(_ request: Request) async throws -> String {
        String(buffer: try await request.body.collect(upTo: 16 * 1024))
    }

    /// A page for a signed-in person (else to the sign-in form), with the refresh line.
    private func page(_ request: Request,
                      _ content: (DashboardSession, PageFormat) async throws -> any RenderablePage) async throws -> Response {
        guard let session = await DashboardSession.of(request, authority: authority) else { return PageResponse.redirect("/sign-in") }
        let content = try await content(session, renderer.format())
        return PageResponse.page(content.render(with: renderer, session: session, refresh: PageRefresh(request)))
    }

    private func notFound(_ title: String, back: (href: String, label: String)) -> DashboardPage<PageRenderer.MessageView> {
        DashboardPage(template: .message, title: title,
                      view: PageRenderer.MessageView(text: t["not_found"], link: .init(href: back.href, label: back.label)))
    }

    /// Where a form post leads: to a page by a redirect (it changed something), or a page
    /// shown in answer (a confirmation to give before it changes anything).
    enum ActionOutcome {
        case redirect(String)
        case page(any RenderablePage)
    }

    /// A form post that changes something: operator role and the CSRF token, or 403; then
    /// `perform`, which answers with where to go next.
    private func action(_ request: Request, _ perform: (DashboardSession) async throws -> String) async throws -> Response {
        try await action(request, fields: true) { session, _ in .redirect(try await perform(session)) }
    }

    /// The same, handing `perform` the form's fields, and letting it answer with a page.
    private func action(_ request: Request, fields: Bool,
                        _ perform: (DashboardSession, [String: String]) async throws -> ActionOutcome) async throws -> Response {
        guard let session = await DashboardSession.of(request, authority: authority) else { return forbidden(t["forbidden_sign_in"]) }
        guard session.identity.role >= .operator else { return forbidden(t("forbidden_role", ["role": t["role_\(session.identity.role.rawValue)"]])) }
        let form = FormBody.fields(try await Self.body(request))
        guard session.accepts(form) else { return forbidden(t["forbidden_csrf"]) }
        switch try await perform(session, form) {
        case .redirect(let location): return PageResponse.redirect(location)
        case .page(let page): return PageResponse.page(page.render(with: renderer, session: session, refresh: nil))
        }
    }

    private func forbidden(_ why: String) -> Response {
        PageResponse.page(renderer.message(title: t["forbidden_title"], error: why, link: ("/", t["back"]), session: nil), status: .forbidden)
    }

    private func signInPage(error: String?) -> String {
        renderer.render(DashboardPage(template: .signIn, title: t["signin_title"], view: PageRenderer.MessageView(error: error)), session: nil)
    }
}
