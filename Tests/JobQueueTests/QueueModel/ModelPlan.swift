import JobQueue
import TestSupport

/// One job of a model run as the generator drew it: which of the run's queues and kinds, which
/// earlier jobs (by index in the run) it waits for, its unique key and what its handler will do.
struct ModelJobSpec: Sendable, Equatable {
    var index: Int
    var kindB: Bool
    var queue: Int
    var dependsOn: [Int]
    var runAnyway: Bool
    var uniqueKey: String?
    var maxAttempts: Int
    var args: TestKinds.ModelJob.Args
}

/// An operator's action as the generator drew it; targets are indexes into the run's jobs.
enum ModelAction: Sendable, Equatable {
    case retry(Int)
    case cancel(Int)
    case retryAll(queue: Int, kindB: Bool)
    case cancelAll(queue: Int, kindB: Bool)
    case pause(Int)
    case resume(Int)
    /// The pruner with a retention of a second (only where the run has a database of its own:
    /// the pruner is not limited to the run's queues).
    case prune
}

/// One wave: jobs to enqueue, each followed by the operator actions drawn after it.
struct ModelWave: Sendable, Equatable {
    var steps: [(job: ModelJobSpec, actions: [ModelAction])]

    static func == (a: ModelWave, b: ModelWave) -> Bool {
        a.steps.count == b.steps.count && zip(a.steps, b.steps).allSatisfy { $0.job == $1.job && $0.actions == $1.actions }
    }
}

/// The size of a run.
struct ModelSize: Sendable {
    var waves = 4
    var jobsPerWave = 24
    var queues = 2
    var actionChance = 0.3
    /// Unique keys are drawn from this many per run, so jobs share them.
    var uniqueKeys = 6
    /// Draw `.prune` actions too.
    var prune = false
}

/// Draws a run's waves from a seed: DAGs of chains, fan-outs, fan-ins and dependents sharing a
/// unique key; random outcomes (failures, snoozes, holds); random operator actions. Pure: the
/// same seed gives the same plan (a test checks it), so a failing seed reruns the same scenario.
struct ModelPlanner {
    let size: ModelSize
    let runTag: String
    private(set) var rng: SeededGenerator
    private(set) var count = 0

    init(seed: UInt64, size: ModelSize, runTag: String) {
        self.size = size
        self.runTag = runTag
        self.rng = SeededGenerator(seed: seed)
    }

    mutating func waves() -> [ModelWave] { (0..<size.waves).map { _ in wave() } }

    private mutating func wave() -> ModelWave {
        var steps: [(job: ModelJobSpec, actions: [ModelAction])] = []
        let first = count
        while count - first < size.jobsPerWave {
            for job in shape(waveStart: first) {
                var actions: [ModelAction] = []
                while rng.chance(size.actionChance) && actions.count < 3 { actions.append(action(upTo: job.index)) }
                steps.append((job, actions))
            }
        }
        return ModelWave(steps: steps)
    }

    /// A chain, a fan-out, a fan-in, or dependents of one job sharing a unique key; the roots
    /// may wait for jobs of earlier waves.
    private mutating func shape(waveStart: Int) -> [ModelJobSpec] {
        func earlier() -> [Int] { count > 0 && rng.chance(0.4) ? [Int.random(in: 0..<count, using: &rng)] : [] }
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            var jobs = [job(dependsOn: earlier())]
            for _ in 0..<Int.random(in: 1...5, using: &rng) { jobs.append(job(dependsOn: [jobs.last!.index])) }
            return jobs
        case 1:
            let root = job(dependsOn: earlier())
            return [root] + (0..<Int.random(in: 2...5, using: &rng)).map { _ in job(dependsOn: [root.index]) }
        case 2:
            let roots = (0..<Int.random(in: 2...4, using: &rng)).map { _ in job(dependsOn: earlier()) }
            return roots + [job(dependsOn: roots.map(\.index))]
        case 3:
            // A lattice: each dependent waits for two or three of the roots, so one completing
            // statement (a worker's batch) releases dependents whose other dependencies another
            // worker completes at the same moment — the trigger's deadlock (issue 31, item 7).
            let roots = (0..<Int.random(in: 4...6, using: &rng)).map { _ in job(dependsOn: earlier(), fast: true) }
            let children = (0..<Int.random(in: 3...5, using: &rng)).map { _ in
                job(dependsOn: Array(roots.map(\.index).shuffled(using: &rng).prefix(Int.random(in: 2...3, using: &rng))))
            }
            return roots + children
        default:
            let root = job(dependsOn: earlier())
            let key = "model-\(runTag)-key-\(Int.random(in: 0..<size.uniqueKeys, using: &rng))"
            return [root] + (0..<Int.random(in: 2...3, using: &rng)).map { _ in job(dependsOn: [root.index], uniqueKey: key) }
        }
    }

    private mutating func job(dependsOn: [Int], uniqueKey: String? = nil, fast: Bool = false) -> ModelJobSpec {
        let maxAttempts = Int.random(in: 1...3, using: &rng)
        let fails = (1...maxAttempts + 1).filter { _ in rng.chance(fast ? 0.1 : 0.3) }
        let snoozes = !fast && rng.chance(0.15) ? Int.random(in: 1...2, using: &rng) : 0
        let hold = !fast && rng.chance(0.3) ? Int.random(in: 50...400, using: &rng) : Int.random(in: 0...20, using: &rng)
        defer { count += 1 }
        return ModelJobSpec(
            index: count, kindB: rng.chance(0.5), queue: Int.random(in: 0..<size.queues, using: &rng),
            dependsOn: Array(Set(dependsOn)).sorted(), runAnyway: !dependsOn.isEmpty && rng.chance(0.15),
            uniqueKey: uniqueKey ?? (rng.chance(0.1) ? "model-\(runTag)-key-\(Int.random(in: 0..<size.uniqueKeys, using: &rng))" : nil),
            maxAttempts: maxAttempts, args: .init(snoozes: snoozes, fails: fails, holdMilliseconds: hold))
    }

    /// Single actions aim at jobs enqueued so far (up to the one just enqueued).
    private mutating func action(upTo last: Int) -> ModelAction {
        // Mostly recent jobs: a retry, a cancel and a retry again of one small DAG is what
        // undid an operator's cancel (issue 31, item 3).
        let target = rng.chance(0.7) ? Int.random(in: max(0, last - 12)...last, using: &rng) : Int.random(in: 0...last, using: &rng)
        let queue = Int.random(in: 0..<size.queues, using: &rng)
        if size.prune && rng.chance(0.05) { return .prune }
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<35: return .retry(target)
        case 35..<60: return .cancel(target)
        case 60..<75: return .retryAll(queue: queue, kindB: rng.chance(0.5))
        case 75..<85: return .cancelAll(queue: queue, kindB: rng.chance(0.5))
        case 85..<93: return .pause(queue)
        default: return .resume(queue)
        }
    }
}
