import BackOffice
import Foundation
import Hummingbird
import JobQueue
import NightshiftCore
import PostgresNIO
import Scheduler

/// The operator's pages, served by `nightshift serve` at `/`, behind the API's tokens: a
/// sign-in form keeps the token in an HttpOnly, SameSite=Strict cookie; forms that change
/// something carry a CSRF token; viewers see no buttons, and a post without the role or the
/// CSRF token is a 403.
struct DashboardRoutes {
    let dependencies: APIDependencies
    let authority: TokenAuthority

    var zone: TimeZone { dependencies.backOffice.timeZone }

    func register(_ router: Router<APIContext>) {
        router.get("/") { request, _ in try await page(request) { session in try await home(session) } }
        router.get("/sign-in") { _, _ in HTML.response(signInPage(error: nil)) }
        router.post("/sign-in") { request, _ in
            let fields = HTML.form(try await Self.body(request))
            let token = (fields["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                _ = try await authority.verify(token)
            } catch {
                return HTML.response(signInPage(error: "Token recusado: \(error)"), status: .unauthorized)
            }
            return HTML.redirect("/", extra: [.setCookie: DashboardSession.setCookie(token, request: request)])
        }
        router.post("/sign-out") { request, _ in
            guard let session = await DashboardSession.of(request, authority: authority),
                  session.accepts(HTML.form(try await Self.body(request))) else { return forbidden("formulário inválido") }
            return HTML.redirect("/sign-in", extra: [.setCookie: DashboardSession.clearCookie])
        }
        router.get("/ui/jobs") { request, _ in
            try await page(request) { session in
                let filter = JobsPage.Filter { request.uri.queryParameters.get($0) }
                let list = try await dependencies.store.jobs(JobFilter(
                    states: filter.state.map { [$0] } ?? [], kind: filter.kind, queue: filter.queue, beforeID: filter.before,
                    limit: JobsPage.pageSize))
                return ("Jobs", JobsPage(filter: filter, jobs: list, session: session, zone: zone).render())
            }
        }
        // A bulk action on the filtered jobs: the first post shows how many, the second (with
        // `confirm`) acts, through the same store calls as the CLI and the API.
        router.post("/ui/jobs/bulk/:verb") { request, context in
            let verb = context.parameters.get("verb") ?? ""
            let filter = JobsPage.Filter { request.uri.queryParameters.get($0) }
            guard ["retry", "cancel"].contains(verb), filter.state != nil else { return forbidden("ação em lote desconhecida") }
            var body: (String, String)?
            let response = try await action(request, fields: true) { session, fields in
                let store = dependencies.store
                let allowed: [JobState] = verb == "retry" ? [.discarded, .cancelled] : [.pending, .available, .scheduled, .retryable]
                var selection = filter.selection
                selection.states = selection.states.filter(allowed.contains)
                guard fields["confirm"] != nil else {
                    body = ("Confirmar", JobsPage.confirmation(verb: verb, filter: filter, preview: try await store.preview(selection),
                                                               session: session, zone: zone))
                    return ""
                }
                _ = verb == "retry" ? try await store.retryAll(selection) : try await store.cancelAll(selection)
                var after = filter
                after.state = verb == "retry" ? nil : .cancelled
                return "/ui/jobs?\(after.query())"
            }
            if let (title, html) = body, let session = await DashboardSession.of(request, authority: authority) {
                return HTML.response(HTML.page(title, session: session, body: html))
            }
            return response
        }
        router.get("/ui/jobs/:id") { request, context in
            try await page(request) { session in try await job(session, id: try context.parameters.require("id", as: Int64.self)) }
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
            try await page(request) { session in try await QueuesPage(dependencies: dependencies, zone: zone).render(session) }
        }
        router.post("/ui/queues/:queue/pause") { request, context in
            try await action(request, fields: true) { session, fields in
                let queue = try QueueRoutes.queue(context)
                let reason = fields["reason"].flatMap { $0.isEmpty ? nil : String($0.prefix(500)) }
                _ = try await dependencies.store.pause(queue: queue, by: session.identity.subject, reason: reason)
                return "/ui/queues"
            }
        }
        router.post("/ui/queues/:queue/resume") { request, context in
            try await action(request) { _ in
                _ = try await dependencies.store.resume(queue: try QueueRoutes.queue(context))
                return "/ui/queues"
            }
        }
        router.get("/ui/schedules") { request, _ in try await page(request) { session in try await schedules(session) } }
        router.get("/ui/backups") { request, _ in try await page(request) { session in try await backups(session) } }
        router.get("/ui/backups/:id") { request, context in
            try await page(request) { _ in
                let id = try context.parameters.require("id", as: Int64.self)
                guard let record = try await BackupHistory(client: dependencies.store.client, logger: dependencies.logger).record(id) else {
                    return ("Backup \(id)", "<p>Não encontrado. <a href=\"/ui/backups\">Ver os backups</a></p>")
                }
                let page = BackupPage(record: record, zone: zone)
                return (page.title, page.render())
            }
        }
        router.get("/ui/extratos") { request, _ in try await page(request) { session in try await extratos(session) } }
        router.get("/ui/branches") { request, _ in
            try await page(request) { _ in
                guard let store = dependencies.objectStore else { return ("Filiais", "<p>Sem bucket configurado (BACKUP_S3_*).</p>") }
                return ("Filiais", try await BranchesPage(store: store, zone: zone).render())
            }
        }
    }

    // MARK: - Plumbing

    static func body(_ request: Request) async throws -> String {
        String(buffer: try await request.body.collect(upTo: 16 * 1024))
    }

    private func page(_ request: Request, _ render: (DashboardSession) async throws -> (String, String)) async throws -> Response {
        guard let session = await DashboardSession.of(request, authority: authority) else { return HTML.redirect("/sign-in") }
        let (title, body) = try await render(session)
        return HTML.response(HTML.page(title, session: session, body: body, refresh: PageRefresh(request, zone: zone)))
    }

    /// A form post that changes something: operator role and the CSRF token, or 403.
    private func action(_ request: Request, _ perform: (DashboardSession) async throws -> String) async throws -> Response {
        try await action(request, fields: true) { session, _ in try await perform(session) }
    }

    /// The same, handing `perform` the form's fields.
    private func action(_ request: Request, fields: Bool,
                        _ perform: (DashboardSession, [String: String]) async throws -> String) async throws -> Response {
        guard let session = await DashboardSession.of(request, authority: authority) else { return forbidden("entre primeiro") }
        guard session.identity.role >= .operator else { return forbidden("precisa do papel operator; o seu é \(session.identity.role.rawValue)") }
        let form = HTML.form(try await Self.body(request))
        guard session.accepts(form) else { return forbidden("formulário inválido ou de outra página (CSRF)") }
        return HTML.redirect(try await perform(session, form))
    }

    private func forbidden(_ why: String) -> Response {
        HTML.response(HTML.page("Proibido", session: nil, body: "<p class=\"error\">\(HTML.escape(why))</p><p><a href=\"/\">Voltar</a></p>"),
                      status: .forbidden)
    }

    private func signInPage(error: String?) -> String {
        HTML.page("Entrar", session: nil, body: """
            \(error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/sign-in">
            <label>Token de acesso (<code>nightshift token create</code>)<br>
            <textarea name="token" rows="4" cols="60" required autocomplete="off"></textarea></label><br>
            <button type="submit">Entrar</button></form>
            """)
    }

    private func button(_ session: DashboardSession, _ action: String, _ label: String) -> String {
        HTML.button(session, action, label)
    }

    // MARK: - Pages

    /// A remedy: a page of the dashboard as a link, a command as code to copy.
    private func remedy(_ todo: String) -> String {
        todo.hasPrefix("/ui/")
            ? "<a class=\"todo\" href=\"\(HTML.escape(todo))\">ver e tentar de novo</a>"
            : "<code class=\"todo\">\(HTML.escape(todo))</code>"
    }

    private func home(_ session: DashboardSession) async throws -> (String, String) {
        let lines = try await SafetyNet.lines(client: dependencies.store.client, settings: dependencies.backOffice, logger: dependencies.logger)
        let label: [SafetyNet.Status: String] = [.green: "ok", .amber: "atenção", .red: "agir"]
        let items = lines.map { line in
            """
            <li class="\(line.status.rawValue)" data-status="\(line.status.rawValue)"><span class="status">\(label[line.status]!)</span> \
            <strong>\(HTML.escape(line.name))</strong>: \(HTML.escape(line.detail))\
            \(line.lastSuccess.map { " — último sucesso \(HTML.when($0, in: zone))" } ?? "")\
            \(line.todo.map(remedy) ?? "")</li>
            """
        }.joined(separator: "\n")
        let worst = lines.contains { $0.status == .red } ? "Algo precisa de você." : lines.contains { $0.status == .amber } ? "Nada urgente; veja os itens em amarelo." : "Tudo em dia."
        return ("Rede de segurança", "<p><strong>\(worst)</strong> Horários em \(HTML.escape(zone.identifier)).</p><ul class=\"net\">\(items)</ul>")
    }

    private func job(_ session: DashboardSession, id: Int64) async throws -> (String, String) {
        guard let job = try await dependencies.store.job(id) else { return ("Job \(id)", "<p>Não encontrado.</p>") }
        var actions = ""
        if [.discarded, .cancelled].contains(job.state) { actions += button(session, "/ui/jobs/\(id)/retry", "Tentar de novo") }
        if ![.succeeded, .discarded, .cancelled].contains(job.state) { actions += button(session, "/ui/jobs/\(id)/cancel", "Cancelar") }
        let relatives = try await self.relatives(id)
        let errors = job.errors.map { error in
            "<li>tentativa \(error.attempt) em \(ISO8601.parse(error.at).map { HTML.when($0, in: zone) } ?? HTML.escape(error.at)) (\(HTML.escape(error.worker ?? "-"))): <pre>\(HTML.escape(error.error))</pre></li>"
        }.joined()
        return ("Job \(id): \(job.kind)", """
            <p>Estado: <strong>\(StateLabel.span(job.state, id: "state"))</strong>, tentativa \(job.attempt) de \(job.maxAttempts), fila \(HTML.escape(job.queue)).
            Criado \(HTML.when(job.createdAt, in: zone)); terminado \(HTML.when(job.finishedAt, in: zone)).</p>
            \(job.progress.map { progress($0, running: job.state == .running && $0.attempt == job.attempt) } ?? "")
            <p>\(actions)</p>
            <h2>Argumentos</h2><pre>\(HTML.escape(job.args))</pre>
            \(job.uniqueKey.map { "<p>Chave única: <code>\(HTML.escape($0))</code></p>" } ?? "")
            \(job.snoozes > 0 ? "<p id=\"snoozes\">Adiado \(job.snoozes) vez(es), sem contar como tentativa; da última: \(HTML.escape(job.snoozeReason ?? "—"))</p>" : "")
            \(relatives)
            <h2>Erros</h2>\(errors.isEmpty ? "<p>Nenhum.</p>" : "<ol>\(errors)</ol>")
            """)
    }

    /// The jobs this one waits for and those that wait for it, each a link with its state.
    private func relatives(_ id: Int64) async throws -> String {
        let store = dependencies.store
        let (waitsFor, waitedBy) = try await (store.dependencies(of: id), store.dependents(of: id))
        func list(_ jobs: [JobRecord]) -> String {
            jobs.map { "<a href=\"/ui/jobs/\($0.id)\">\($0.id)</a> \(HTML.escape($0.kind)) \(StateLabel.span($0.state))" }
                .joined(separator: ", ")
        }
        var html = ""
        if !waitsFor.isEmpty { html += "<p id=\"depends-on\">Espera por: \(list(waitsFor))</p>" }
        if !waitedBy.isEmpty { html += "<p id=\"dependents\">Esperado por: \(list(waitedBy))</p>" }
        return html
    }

    /// The job's last progress report: a bar when the total is known, the figures, the step.
    private func progress(_ reported: JobProgress, running: Bool) -> String {
        let work = reported.progress
        let unit = work.unit == .bytes ? "" : " registros"
        func amount(_ value: Int64) -> String { work.unit == .bytes ? WorkProgress.amount(value, .bytes) : WorkProgress.grouped(value) }
        var figures = amount(work.done)
        if let total = work.total { figures += " de \(work.estimated == true ? "~" : "")\(amount(total))" }
        figures += unit
        if let fraction = work.fraction { figures += String(format: " (%.0f %%)", fraction * 100) }
        let bar = work.total.map { "<progress value=\"\(work.done)\" max=\"\($0)\"></progress> " } ?? ""
        return "<p id=\"progress\">\(running ? "Progresso" : "Último progresso") (tentativa \(reported.attempt)\(work.step.map { ", \(HTML.escape($0))" } ?? "")): "
            + bar + HTML.escape(figures) + ", às \(HTML.time(reported.at, in: zone))</p>"
    }

    private func backups(_ session: DashboardSession) async throws -> (String, String) {
        let history = BackupHistory(client: dependencies.store.client, logger: dependencies.logger)
        let records = try await history.list(limit: 200)
        let recent = records.filter { $0.status == .completed || $0.status == .expired }
            .filter { $0.startedAt > Date().addingTimeInterval(-30 * 86_400) }.reversed()
        var charts = ""
        for branch in Set(recent.map(\.branch)).sorted() {
            let mine = recent.filter { $0.branch == branch }
            let label = { (record: BackupRecord) in HTML.time(record.startedAt, in: zone).prefix(5).description }
            charts += SVGChart.bars(mine.map { .init(label: label($0), segments: [(Double($0.sizeBytes ?? 0) / 1_048_576, "#1565c0")]) },
                                    title: "Tamanho dos dumps de \(branch) (30 dias)", unit: "MB")
            charts += SVGChart.bars(mine.map { record in
                .init(label: label(record), segments: [((record.finishedAt ?? record.startedAt).timeIntervalSince(record.startedAt), "#6a1b9a")])
            }, title: "Duração dos dumps de \(branch) (30 dias)", unit: "s")
        }
        let rows = records.prefix(50).map { record in
            let verdict = record.verificationStatus.map { $0 == "true" ? "passou" : $0 == "unverified" ? "não verificado" : "FALHOU" } ?? "—"
            return "<tr><td><a href=\"/ui/backups/\(record.id)\">\(record.id)</a></td><td>\(HTML.escape(record.branch))</td><td>\(record.type.rawValue)</td>"
                + "<td>\(BackupPage.status[record.status] ?? record.status.rawValue)</td>"
                + "<td>\(HTML.when(record.startedAt, in: zone))</td><td>\(record.sizeBytes.map { HTML.escape(ByteCount.text($0)) } ?? "—")</td>"
                + "<td>\(verdict)</td><td>\(record.encryption ?? "—")</td><td>\(HTML.escape(String((record.error ?? "").prefix(80))))</td></tr>"
        }.joined()
        return ("Backups", """
            \(charts)
            <table><tr><th>id</th><th>filial</th><th>tipo</th><th>estado</th><th>início</th><th>tamanho</th><th>teste</th><th>cripto</th><th>erro</th></tr>\(rows)</table>
            """)
    }

    /// Each schedule: what it runs, its cron and zone, its next fire and how its last slot went,
    /// the times in the schedule's own zone.
    private func schedules(_ session: DashboardSession) async throws -> (String, String) {
        let statuses = try await SlotStore(jobs: dependencies.store).statuses(of: dependencies.schedules)
        let rows = statuses.map { status in
            let scheduleZone = TimeZone(identifier: status.timeZone) ?? zone
            let last = zip(status.lastJobIDs, status.lastJobStates).map { id, state in
                "<a href=\"/ui/jobs/\(id)\">\(id)</a> <span data-state=\"\(HTML.escape(state))\">\(HTML.escape(state))</span>"
            }.joined(separator: ", ")
            return "<tr><td>\(HTML.escape(status.name))</td><td>\(HTML.escape(status.jobs.joined(separator: ", ")))</td>"
                + "<td><code>\(HTML.escape(status.cron))</code></td><td>\(HTML.escape(status.timeZone))</td>"
                + "<td>\(status.enabled ? HTML.when(status.nextFire, in: scheduleZone) : "desligada")</td>"
                + "<td>\(HTML.when(status.lastSlot, in: scheduleZone))</td><td>\(last.isEmpty ? "—" : last)</td></tr>"
        }.joined()
        return ("Agendas", """
            <table><tr><th>agenda</th><th>jobs</th><th>cron</th><th>fuso</th><th>próxima</th><th>último horário</th><th>jobs do último</th></tr>\(rows)</table>
            """)
    }

    private func extratos(_ session: DashboardSession) async throws -> (String, String) {
        let all = try await ExtratoStore(client: dependencies.store.client, logger: dependencies.logger).all()
        let rows = all.map { extrato in
            "<tr><td>\(HTML.escape(extrato.month))</td><td class=\"num\">\(HTML.escape(MoneyText.text(numeric: extrato.totalReceita)))</td>"
                + "<td class=\"num\">\(HTML.escape(MoneyText.text(numeric: extrato.totalComissoes)))</td>"
                + "<td class=\"num\">\(HTML.escape(MoneyText.text(numeric: extrato.totalGastos)))</td>"
                + "<td class=\"num\">\(HTML.escape(MoneyText.text(numeric: extrato.saldo)))</td>"
                + "<td>\(extrato.contagens.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)): \($0.value)" }.joined(separator: ", "))</td></tr>"
        }.joined()
        return ("Extratos", "<table><tr><th>mês</th><th>receita</th><th>comissões</th><th>gastos</th><th>saldo</th><th>registros</th></tr>\(rows)</table>")
    }
}
