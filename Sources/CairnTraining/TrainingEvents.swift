public import CairnPrimitives
public import CairnLedger

/// Events the training module emits (the bank adds its own transfers).
public enum TrainingEvents {
    /// `train.job_created`: job_id, creator, base_model, rounds, reward.
    public static func created(_ j: TrainingJob) -> Event {
        Event(type: "train.job_created", [("job_id", String(j.id)), ("creator", j.creator.bech32), ("base_model", String(j.baseModel)),
                                          ("rounds", String(j.rounds)), ("reward", j.reward.description)])
    }

    /// `train.joined`: job_id, participant, index, records, data_root.
    public static func joined(_ job: UInt64, _ p: Participant) -> Event {
        Event(type: "train.joined", [("job_id", String(job)), ("participant", p.address.bech32), ("index", String(p.index)),
                                     ("records", String(p.records)), ("data_root", p.dataRoot.hex)])
    }

    /// `train.phase`: job_id, round, phase, deadline: the job entered a round's phase.
    public static func phase(_ j: TrainingJob) -> Event {
        Event(type: "train.phase", [("job_id", String(j.id)), ("round", String(j.round)), ("phase", j.phase.name),
                                    ("deadline", String(j.phaseDeadline))])
    }

    /// `train.shared`, `train.submitted`, `train.unmasked`: job_id, round, participant.
    public static func step(_ type: String, job: UInt64, round: UInt32, _ who: Address) -> Event {
        Event(type: "train.\(type)", [("job_id", String(job)), ("round", String(round)), ("participant", who.bech32)])
    }

    /// `train.aggregated`: job_id, round, contributors, dropped, aggregate_hash, reward_each.
    public static func aggregated(job: UInt64, _ r: RoundRecord) -> Event {
        Event(type: "train.aggregated", [("job_id", String(job)), ("round", String(r.round)), ("contributors", String(r.submitted.count)),
                                         ("dropped", String(r.shared.count - r.submitted.count)), ("aggregate_hash", r.aggregateHash.hex),
                                         ("reward_each", r.rewardEach.description)])
    }

    /// `train.test_revealed`: job_id, accuracy_bps (as the creator states it), test_set_hash: the revealed file matched the commitment.
    public static func testRevealed(_ j: TrainingJob) -> Event {
        Event(type: "train.test_revealed", [("job_id", String(j.id)), ("accuracy_bps", String(j.accuracyBps)), ("test_set_hash", j.testSetHash.hex)])
    }

    /// `train.job_ended`: job_id, status, reason, refunded (the pool's remainder returned to the creator).
    public static func ended(_ j: TrainingJob, refunded: Amount) -> Event {
        Event(type: "train.job_ended", [("job_id", String(j.id)), ("status", j.status.name), ("reason", j.failure),
                                        ("refunded", refunded.description)])
    }
}
