import ArgumentParser

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Enqueue scheduled jobs when their slots come; run any number of replicas.",
        discussion: """
            Every slot is recorded in scheduler_slots in the transaction that enqueues its jobs, \
            so each slot is enqueued once however many schedulers run. Jobs carry unique keys \
            (kind:period, e.g. generate-extrato:2026-10), so the day-2 safety net enqueuing the \
            same month again is a no-op when day 1 succeeded. On start, missed slots within each \
            schedule's catch-up window are enqueued. Schedules: see `nightshift schedules list`.
            """
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await ProcessAssembly.run(ProcessPlan(scheduler: true), settings: try database.settings())
    }
}
