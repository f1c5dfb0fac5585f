import Hummingbird
import Foundation
import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnTraining

/// `GET /v1/train/jobs[/ID[/weights]]`: training jobs as the latest committed state has them; participant agents read
/// the running round (mask keys, sealed boxes, who submitted) and the head's weights from here.
extension NodeAPI {
    struct JobsView: Encodable {
        let jobs: [JobView]
    }

    struct WeightsView: Encodable {
        let job: UInt64
        /// Rounds aggregated into the weights.
        let rounds: Int
        let fixedPointBits: UInt8
        /// Signed fixed-point parameters, weights then biases layer by layer (zero before the first round).
        let weights: [Int32]
        let weightsHash: String
    }

    func addTrainingRoutes(to router: Router<BasicRequestContext>) {
        let training = LedgerWiring.training
        router.get("/v1/train/jobs") { _, _ in
            try json(try chain.withState { state throws -> JobsView in JobsView(jobs: try training.jobs(state: state)) })
        }
        router.get("/v1/train/jobs/:id") { _, ctx in
            let id = try Self.jobID(ctx)
            return try json(try chain.withState { state throws -> JobDetail in
                guard let j = try training.job(id, state: state) else { throw APIError.notFound("no training job \(id)") }
                return j
            })
        }
        router.get("/v1/train/jobs/:id/test-set") { _, ctx in
            let id = try Self.jobID(ctx)
            return try json(try chain.withState { state throws -> TestSetView in
                guard try training.jobRecord(id, state: state) != nil else { throw APIError.notFound("no training job \(id)") }
                guard let bytes = try training.testSet(job: id, state: state) else { throw APIError.notFound("job \(id)'s test set is not revealed") }
                return TestSetView(job: id, sha256: Hash.sha256(bytes).hex, bytes: Data(bytes).base64EncodedString())
            })
        }
        router.get("/v1/train/jobs/:id/weights") { _, ctx in
            let id = try Self.jobID(ctx)
            return try json(try chain.withState { state throws -> WeightsView in
                guard let j = try training.jobRecord(id, state: state) else { throw APIError.notFound("no training job \(id)") }
                let words = try training.weights(job: id, state: state) ?? [UInt32](repeating: 0, count: j.dimension)
                let rounds = try training.job(id, state: state)?.rounds.count ?? 0
                return WeightsView(job: id, rounds: rounds, fixedPointBits: j.settings.fixedPointBits, weights: words.map { Int32(bitPattern: $0) },
                                   weightsHash: Words.hash(words).hex)
            })
        }
    }

    struct TestSetView: Encodable {
        let job: UInt64
        let sha256: String
        /// The file, base64.
        let bytes: String
    }

    static func jobID(_ ctx: BasicRequestContext) throws -> UInt64 {
        let text = ctx.parameters.get("id") ?? ""
        guard let id = UInt64(text) else { throw APIError.badRequest("bad_id", "'\(text.prefix(40))' is not a job id") }
        return id
    }
}
