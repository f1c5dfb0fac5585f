public import CairnPrimitives
public import CairnLedger

/// State layout of the training module (prefix `train`):
/// - `train/next-job`: the id the next job gets (8 bytes BE; absent means 1)
/// - `train/job/<id>`: `TrainingJob`
/// - `train/active/<id>`: present while the job is not over (end of block walks these)
/// - `train/member/<id>/<address>`: `Participant`
/// - `train/weights/<id>`: the head's current parameters, fixed point, as words (absent: all zero)
/// - `train/round/<id>/<round>`: `RoundRecord` of every aggregated round
/// - `train/aggregate/<id>/<round>`: the round's aggregate, the sum of its contributors' updates, as words
/// - `train/share/<id>/<round>/<address>`: `ShareRecord` (the running round, and the next round's shares sent early)
/// - `train/submitted/<id>/<round>/<address>`: present once the participant's masked update is in the sum (running round)
/// - `train/sum/<id>/<round>`: the running sum of the masked updates, as words (running round)
/// - `train/reveal/<id>/<round>/<of>/<from>`: a share revealed for the unmasking (running round)
/// - `train/model/<model id>`: the job that trained a registered model (8 bytes BE)
/// - `train/test-set/<id>`: the held-out test set as revealed so far (the whole file once revealed)
public enum TrainingKeys {
    public static let module = "train"
    static let nextJob = StateKey.make(module, "next-job")
    static let jobPrefix = StateKey.make(module, "job") + slash
    static let activePrefix = StateKey.make(module, "active") + slash
    static let memberPrefix = StateKey.make(module, "member") + slash
    static let weightsPrefix = StateKey.make(module, "weights") + slash
    static let roundPrefix = StateKey.make(module, "round") + slash
    static let aggregatePrefix = StateKey.make(module, "aggregate") + slash
    static let sharePrefix = StateKey.make(module, "share") + slash
    static let submittedPrefix = StateKey.make(module, "submitted") + slash
    static let sumPrefix = StateKey.make(module, "sum") + slash
    static let revealPrefix = StateKey.make(module, "reveal") + slash
    static let modelPrefix = StateKey.make(module, "model") + slash
    static let testSetPrefix = StateKey.make(module, "test-set") + slash

    static func testSet(_ id: UInt64) -> [UInt8] { testSetPrefix + StateKey.bigEndian(id) }
    static let slash = [UInt8(ascii: "/")]

    static func model(_ id: UInt64) -> [UInt8] { modelPrefix + StateKey.bigEndian(id) }

    static func job(_ id: UInt64) -> [UInt8] { jobPrefix + StateKey.bigEndian(id) }
    static func active(_ id: UInt64) -> [UInt8] { activePrefix + StateKey.bigEndian(id) }
    static func members(_ id: UInt64) -> [UInt8] { memberPrefix + StateKey.bigEndian(id) + slash }
    static func member(_ id: UInt64, _ a: Address) -> [UInt8] { members(id) + a.bytes }
    static func weights(_ id: UInt64) -> [UInt8] { weightsPrefix + StateKey.bigEndian(id) }
    static func rounds(_ id: UInt64) -> [UInt8] { roundPrefix + StateKey.bigEndian(id) + slash }
    static func round(_ id: UInt64, _ r: UInt32) -> [UInt8] { rounds(id) + StateKey.bigEndian(UInt64(r)) }
    static func aggregate(_ id: UInt64, _ r: UInt32) -> [UInt8] { aggregatePrefix + StateKey.bigEndian(id) + slash + StateKey.bigEndian(UInt64(r)) }
    static func shares(_ id: UInt64, _ r: UInt32) -> [UInt8] { sharePrefix + StateKey.bigEndian(id) + slash + StateKey.bigEndian(UInt64(r)) + slash }
    static func share(_ id: UInt64, _ r: UInt32, _ a: Address) -> [UInt8] { shares(id, r) + a.bytes }
    static func submissions(_ id: UInt64, _ r: UInt32) -> [UInt8] {
        submittedPrefix + StateKey.bigEndian(id) + slash + StateKey.bigEndian(UInt64(r)) + slash
    }
    static func submitted(_ id: UInt64, _ r: UInt32, _ a: Address) -> [UInt8] { submissions(id, r) + a.bytes }
    static func sum(_ id: UInt64, _ r: UInt32) -> [UInt8] { sumPrefix + StateKey.bigEndian(id) + slash + StateKey.bigEndian(UInt64(r)) }
    static func reveals(_ id: UInt64, _ r: UInt32) -> [UInt8] { revealPrefix + StateKey.bigEndian(id) + slash + StateKey.bigEndian(UInt64(r)) + slash }
    static func reveals(_ id: UInt64, _ r: UInt32, of: Address) -> [UInt8] { reveals(id, r) + of.bytes + slash }
    static func reveal(_ id: UInt64, _ r: UInt32, of: Address, from: Address) -> [UInt8] { reveals(id, r, of: of) + from.bytes }
}

/// The training module's account: it holds every job's unpaid reward pool and its participants' stakes.
public enum TrainingAccounts {
    public static let escrow = ModuleAccount.address("train/escrow")
}
