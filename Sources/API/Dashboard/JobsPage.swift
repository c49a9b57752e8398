import Foundation
import JobQueue
import NightshiftCore

/// The Jobs page: filters by state, kind and queue, pages of 50 by id (newest first, the
/// cursor in the link, so a page reads the same however many jobs arrive meanwhile), and for an
/// operator the filtered set's bulk retry or cancel, behind a confirmation page.
struct JobsPage {
    struct Filter: Equatable {
        var state: JobState?
        var kind: String?
        var queue: String?
        var before: Int64?

        init(_ query: (String) -> String?) {
            state = query("state").flatMap(JobState.init(rawValue:))
            kind = query("kind").flatMap { $0.isEmpty || $0.unicodeScalars.count > 128 ? nil : $0 }
            queue = query("queue").flatMap { $0.isEmpty || $0.unicodeScalars.count > 128 ? nil : $0 }
            before = query("before").flatMap(Int64.init)
        }

        /// The query string of this filter (without the cursor unless asked).
        func query(cursor: Int64? = nil) -> String {
            var items: [String] = []
            func add(_ name: String, _ value: String?) {
                guard let value else { return }
                items.append("\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            }
            add("state", state?.rawValue)
            add("kind", kind)
            add("queue", queue)
            add("before", cursor.map(String.init))
            return items.joined(separator: "&")
        }

        var selection: JobSelection {
            JobSelection(states: state.map { [$0] } ?? [], kinds: kind.map { [$0] } ?? [], queues: queue.map { [$0] } ?? [])
        }
    }

    static let pageSize = 50

    let filter: Filter
    let jobs: [JobRecord]
    let session: DashboardSession
    let zone: TimeZone

    func render() -> String {
        let esc = HTML.escape
        let options = "<option value=\"\"\(filter.state == nil ? " selected" : "")>todos</option>" + JobState.allCases.map {
            "<option value=\"\($0.rawValue)\"\($0 == filter.state ? " selected" : "")>\(StateLabel.text($0))</option>"
        }.joined()
        let rows = jobs.map { job in
            "<tr data-job=\"\(job.id)\"><td><a href=\"/ui/jobs/\(job.id)\">\(job.id)</a></td><td>\(esc(job.kind))</td><td>\(esc(job.queue))</td>"
                + "<td data-state=\"\(job.state.rawValue)\">\(StateLabel.text(job.state))</td><td>\(job.attempt)/\(job.maxAttempts)</td>"
                + "<td>\(HTML.when(job.createdAt, in: zone))</td><td>\(esc(String((job.lastError ?? "").prefix(80))))</td></tr>"
        }.joined(separator: "\n")
        var paging = ""
        if filter.before != nil { paging += "<a href=\"/ui/jobs?\(filter.query())\" id=\"first-page\">← mais novos</a> " }
        if jobs.count == Self.pageSize, let last = jobs.last {
            paging += "<a href=\"/ui/jobs?\(filter.query(cursor: last.id))\" id=\"next-page\">mais antigos →</a>"
        }
        return """
            <form method="get" action="/ui/jobs" class="filters">
            <label>Estado <select name="state">\(options)</select></label>
            <label>Tipo <input name="kind" value="\(esc(filter.kind ?? ""))" size="14" placeholder="todos"></label>
            <label>Fila <input name="queue" value="\(esc(filter.queue ?? ""))" size="10" placeholder="todas"></label>
            <button>Filtrar</button></form>
            \(bulkButtons)
            <div class="scroll"><table id="jobs"><tr><th>id</th><th>tipo</th><th>fila</th><th>estado</th><th>tentativa</th><th>criado</th><th>último erro</th></tr>\(rows)</table></div>
            <p class="paging">\(paging)</p>
            """
    }

    /// For an operator with a filter on a state that can be acted on: the filtered set's bulk
    /// action, which goes to a confirmation page first.
    private var bulkButtons: String {
        guard session.identity.role >= .operator, let state = filter.state else { return "" }
        let action: (String, String)?
        switch state {
        case .discarded, .cancelled: action = ("retry", "Tentar de novo todos os filtrados")
        case .pending, .available, .scheduled, .retryable: action = ("cancel", "Cancelar todos os filtrados")
        default: action = nil
        }
        guard let (verb, label) = action else { return "" }
        return """
            <form method="post" action="/ui/jobs/bulk/\(verb)?\(filter.query())" class="inline">\
            <input type="hidden" name="csrf" value="\(session.csrf)"><button id="bulk-\(verb)">\(label)…</button></form>
            """
    }

    /// The confirmation: how many jobs, the first of them, and the button that acts.
    static func confirmation(verb: String, filter: Filter, preview: BulkPreview, session: DashboardSession, zone: TimeZone) -> String {
        let esc = HTML.escape
        let what = verb == "retry" ? "tentar de novo" : "cancelar"
        let sample = preview.sample.prefix(10).map { job in
            "<li><a href=\"/ui/jobs/\(job.id)\">\(job.id)</a> \(esc(job.kind)) (\(esc(job.queue))), \(HTML.when(job.finishedAt ?? job.createdAt, in: zone))</li>"
        }.joined()
        return """
            <p id="bulk-count">Isto vai \(what) <strong>\(preview.count)</strong> job(s): \(esc(describe(filter))).</p>
            <ul>\(sample)</ul>\(preview.count > 10 ? "<p>… e mais \(preview.count - 10).</p>" : "")
            <form method="post" action="/ui/jobs/bulk/\(verb)?\(filter.query())">
            <input type="hidden" name="csrf" value="\(session.csrf)"><input type="hidden" name="confirm" value="\(preview.count)">
            <button id="bulk-confirm">Sim, \(what) \(preview.count)</button> <a href="/ui/jobs?\(filter.query())">Voltar</a></form>
            <p>Em lotes de \(JobStore.bulkBatchSize) por transação; o histórico de cada job fica.</p>
            """
    }

    static func describe(_ filter: Filter) -> String {
        var parts: [String] = []
        if let state = filter.state { parts.append("estado \(StateLabel.text(state))") }
        if let kind = filter.kind { parts.append("tipo \(kind)") }
        if let queue = filter.queue { parts.append("fila \(queue)") }
        return parts.joined(separator: ", ")
    }
}
