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
            kind = query("kind").flatMap { JobLimits.isValidName($0) ? $0 : nil }
            queue = query("queue").flatMap { JobLimits.isValidName($0) ? $0 : nil }
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

        /// The filter as `action`'s selection; throws ``InvalidInput`` (`state`) when the
        /// filter's state is not one the action may touch.
        func selection(_ action: BulkAction) throws -> JobSelection {
            try JobSelection(action, states: state.map { [$0] } ?? [], kinds: kind.map { [$0] } ?? [], queues: queue.map { [$0] } ?? [])
        }
    }

    static let pageSize = 50

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Row {
        var id: Int64
        var kind: String
        var queue: String
        var state: StateView
        var attempt: String
        var created: String
        var lastError: String
    }

    struct BulkButton {
        var action: String
        var id: String
        var label: String
    }

    struct View {
        var states: [Option]
        var kind: String
        var queue: String
        var bulk: BulkButton?
        var rows: [Row]
        var newer: String?
        var older: String?
    }

    let filter: Filter
    let jobs: [JobRecord]
    let session: DashboardSession
    let format: PageFormat

    func content() -> DashboardPage<View> {
        let t = format.catalog
        let states = [Option(value: "", label: t["jobs_all_states"], selected: filter.state == nil)] + JobState.allCases.map {
            Option(value: $0.rawValue, label: format.state($0), selected: $0 == filter.state)
        }
        let rows = jobs.map { job in
            Row(id: job.id, kind: job.kind, queue: job.queue, state: StateView(job.state, format), attempt: "\(job.attempt)/\(job.maxAttempts)",
                created: format.when(job.createdAt), lastError: String((job.lastError ?? "").prefix(80)))
        }
        let older = jobs.count == Self.pageSize ? jobs.last.map { "/ui/jobs?\(filter.query(cursor: $0.id))" } : nil
        let view = View(states: states, kind: filter.kind ?? "", queue: filter.queue ?? "", bulk: bulkButton, rows: rows,
                        newer: filter.before != nil ? "/ui/jobs?\(filter.query())" : nil, older: older)
        return DashboardPage(template: .jobs, title: t["jobs_title"], view: view)
    }

    /// For an operator with a filter on a state that can be acted on: the filtered set's bulk
    /// action, which goes to a confirmation page first.
    private var bulkButton: BulkButton? {
        guard session.identity.role >= .operator, let state = filter.state else { return nil }
        let verb: String
        switch state {
        case .discarded, .cancelled: verb = "retry"
        case .pending, .available, .scheduled, .retryable: verb = "cancel"
        default: return nil
        }
        return BulkButton(action: "/ui/jobs/bulk/\(verb)?\(filter.query())", id: "bulk-\(verb)", label: format.catalog["jobs_bulk_\(verb)"])
    }

    static func describe(_ filter: Filter, _ format: PageFormat) -> String {
        let t = format.catalog
        var parts: [String] = []
        if let state = filter.state { parts.append(t("filter_state", ["value": format.state(state)])) }
        if let kind = filter.kind { parts.append(t("filter_kind", ["value": kind])) }
        if let queue = filter.queue { parts.append(t("filter_queue", ["value": queue])) }
        return parts.joined(separator: ", ")
    }
}
