import Foundation
import JobQueue
import Scheduler

/// The Agendas page: each schedule's jobs, cron and zone, its next fire and the jobs of its
/// last slot, the times in the schedule's own zone.
struct SchedulesPage {
    struct LastJob {
        var id: Int64
        var state: StateView
        var separator: String
    }

    struct Row {
        var name: String
        var jobs: String
        var cron: String
        var zone: String
        var next: String
        var lastSlot: String
        var lastJobs: NonEmpty<LastJob>?
    }

    struct View {
        var rows: [Row]
    }

    let dependencies: APIDependencies
    let format: PageFormat

    func content() async throws -> DashboardPage<View> {
        let t = format.catalog
        let statuses = try await SlotStore(jobs: dependencies.store).statuses(of: dependencies.schedules)
        let rows = statuses.map { status in
            let local = format.in(TimeZone(identifier: status.timeZone) ?? format.zone)
            let pairs = Array(zip(status.lastJobIDs, status.lastJobStates))
            let last = pairs.enumerated().map { index, pair in
                LastJob(id: pair.0, state: JobState(rawValue: pair.1).map { StateView($0, format) } ?? StateView(raw: pair.1, label: pair.1),
                        separator: index == pairs.count - 1 ? "" : ", ")
            }
            return Row(name: status.name, jobs: status.jobs.joined(separator: ", "), cron: status.cron, zone: status.timeZone,
                       next: status.enabled ? local.when(status.nextFire) : t["schedules_off"], lastSlot: local.when(status.lastSlot),
                       lastJobs: NonEmpty(last))
        }
        return DashboardPage(template: .schedules, title: t["schedules_title"], view: View(rows: rows))
    }
}
