import Foundation
import JobQueue
import NightshiftCore

/// One job's page: its state and attempts, the last progress it reported, its arguments and
/// unique key, the jobs it waits for and those waiting for it, every attempt's error, and for
/// an operator the retry or cancel button.
struct JobPage {
    struct Progress {
        var label: String
        var done: Int64
        var total: Int64?
        var figures: String
    }

    struct Relative {
        var id: Int64
        var kind: String
        var state: StateView
        /// ", " between two, nothing after the last.
        var separator: String
    }

    struct AttemptError {
        var heading: String
        var text: String
    }

    struct View {
        var state: StateView
        var facts: String
        var times: String
        var progress: Progress?
        var buttons: [FormButton]
        var args: String
        var uniqueKey: String?
        var snoozes: String?
        var waitsFor: NonEmpty<Relative>?
        var waitedBy: NonEmpty<Relative>?
        var errors: NonEmpty<AttemptError>?
    }

    let job: JobRecord
    let waitsFor: [JobRecord]
    let waitedBy: [JobRecord]
    let format: PageFormat

    func content() -> DashboardPage<View> {
        let t = format.catalog
        var buttons: [FormButton] = []
        if [.discarded, .cancelled].contains(job.state) { buttons.append(FormButton(action: "/ui/jobs/\(job.id)/retry", label: t["job_retry"])) }
        if !job.state.isFinished { buttons.append(FormButton(action: "/ui/jobs/\(job.id)/cancel", label: t["job_cancel"])) }
        let relatives = { (records: [JobRecord]) in
            NonEmpty(records.enumerated().map { index, record in
                Relative(id: record.id, kind: record.kind, state: StateView(record.state, format), separator: index == records.count - 1 ? "" : ", ")
            })
        }
        let view = View(
            state: StateView(job.state, format),
            facts: t("job_facts", ["attempt": job.attempt, "max": job.maxAttempts, "queue": job.queue]),
            times: t("job_times", ["created": format.when(job.createdAt), "finished": format.when(job.finishedAt)]),
            progress: job.progress.map { progress($0, running: job.state == .running && $0.attempt == job.attempt) },
            buttons: buttons, args: job.args, uniqueKey: job.uniqueKey,
            snoozes: job.snoozes > 0 ? t("job_snoozes", ["count": job.snoozes, "reason": job.snoozeReason ?? "—"]) : nil,
            waitsFor: relatives(waitsFor), waitedBy: relatives(waitedBy),
            errors: NonEmpty(job.errors.map { error in
                let at = ISO8601.parse(error.at).map(format.when) ?? error.at
                return AttemptError(heading: t("job_error_heading", ["attempt": error.attempt, "when": at, "worker": error.worker ?? "-"]),
                                    text: error.error)
            }))
        return DashboardPage(template: .job, title: t("job_title", ["id": job.id, "kind": job.kind]), view: view)
    }

    /// The job's last progress report: a bar when the total is known, the figures, the step.
    private func progress(_ reported: JobProgress, running: Bool) -> Progress {
        let t = format.catalog
        let work = reported.progress
        func amount(_ value: Int64) -> String { work.unit == .bytes ? WorkProgress.amount(value, .bytes) : format.count(value) }
        var figures = amount(work.done)
        if let total = work.total {
            figures = t("job_progress_of", ["done": figures, "total": (work.estimated == true ? "~" : "") + amount(total)])
        }
        if work.unit == .records { figures = t("job_progress_records", ["amount": figures]) }
        if let fraction = work.fraction { figures += " (\(format.percent(fraction)))" }
        figures += t("job_progress_at", ["time": format.time(reported.at)])
        let label = t(running ? "job_progress_running" : "job_progress_last",
                      ["attempt": reported.attempt, "step": work.step.map { ", \($0)" } ?? ""])
        return Progress(label: label, done: work.done, total: work.total, figures: figures)
    }
}
