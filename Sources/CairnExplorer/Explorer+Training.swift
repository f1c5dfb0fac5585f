import CairnPrimitives
import CairnLedger
import CairnApp
import CairnChain
import CairnTraining
import Foundation

extension Explorer {
    // MARK: Training

    func trainingJobs() throws -> Output {
        let training = LedgerWiring.training
        let list = try chain.withState { try training.jobs(state: $0) }
        let rows = list.reversed().map { j in
            [Links.trainingJob(j.id), Links.model(j.baseModel, name: nil), HTML(text: j.labels.joined(separator: ", ")),
             HTML(text: j.status + (j.phase.map { " (round \(j.round), \($0))" } ?? "")), HTML(text: "\(j.participants) of \(j.minParticipants)–\(j.maxParticipants)"),
             HTML(text: "\(j.round) / \(j.rounds)"), HTML(text: "\(Format.cairn(j.paid)) of \(Format.cairn(j.reward))"),
             j.modelID.map { Links.model($0, name: nil) } ?? HTML(text: "–")]
        }
        let body: HTML = """
            <h1>Training</h1>
            <p>Federated training jobs: data owners train a head over a registered model's embeddings; each round the chain adds their masked updates and publishes only the sum.</p>
            \(Table.make(["Job", "Base model", "Labels", "Status", "Participants", "Rounds", "Paid", "Model"], list.isEmpty ? [] : rows, numeric: [5],
                         empty: "No training jobs yet."))
            """
        return .page(title: "Training", body: body)
    }

    func trainingJob(_ param: String) throws -> Output {
        let id = try id(param, what: "training job")
        let training = LedgerWiring.training
        guard let detail = try chain.withState({ try training.job(id, state: $0) }) else { throw Failure.notFound("There is no training job \(id).") }
        let j = detail.job
        let settings = j.settings
        let dp = settings.noiseMultiplierMilli == 0 ? "no noise" : "clip \(Double(settings.clipNormMilli) / 1_000), noise multiplier \(Double(settings.noiseMultiplierMilli) / 1_000)"
        var facts: [(String, HTML)] = [
            ("Status", HTML(text: j.status + (j.failure.map { ": \($0)" } ?? ""))),
            ("Creator", Links.account(try Address(bech32: j.creator))),
            ("Base model", Links.model(j.baseModel, name: nil)),
            ("Labels", HTML(text: j.labels.joined(separator: ", "))),
            ("Head", HTML(text: j.head.hidden == 0 ? "linear, \(j.head.inputs) inputs (\(j.dimension) parameters)"
                : "MLP, \(j.head.inputs) inputs, \(j.head.hidden) hidden (\(j.dimension) parameters)")),
            ("Local training", HTML(text: "DP-SGD: \(dp); learning rate \(Double(settings.learningRateMilli) / 1_000), \(settings.localEpochs) epoch(s), batches of \(settings.batchSize)")),
            ("Privacy", HTML(text: detail.epsilon.map { String(format: "ε = %.2f at δ = %g so far (RDP accountant, the largest over the participants)", $0, detail.delta) }
                ?? (settings.noiseMultiplierMilli == 0 ? "no DP noise" : "no round yet"))),
            ("Rounds", HTML(text: "\(j.round) of \(j.rounds), \(j.roundBlocks) blocks each at most")),
            ("Participants", HTML(text: "\(j.participants) (\(j.minParticipants) to \(j.maxParticipants)); \(j.threshold) shares rebuild a secret")),
            ("Reward pool", HTML(text: "\(Format.cairn(j.reward)), \(Format.cairn(j.paid)) paid; stake \(Format.cairn(j.stake))")),
            ("Created", Links.block(j.createdHeight)),
            ("Test set", HTML(text: Format.short(j.testSetHash) + (j.testRevealed ? ", revealed; accuracy stated \(Format.bps(j.accuracyBps ?? 0))" : ", not revealed"))),
        ]
        if let model = j.modelID { facts.append(("Model", Links.model(model, name: "model \(model) (royalty \(Format.bps(j.royaltyBps)) to the data owners)"))) }
        if let w = detail.weightsHash { facts.append(("Weights", HTML(text: Format.short(w)))) }
        if let r = detail.running {
            facts.append(("Running round", HTML(text: "round \(r.round), \(r.phase) until block \(r.phaseDeadline): \(r.shared.count) shared, "
                                                + "\(r.shared.filter(\.submitted).count) submitted")))
        }
        let people = try detail.participants.map { p in
            [Links.account(try Address(bech32: p.address)), HTML(text: Format.count(p.records)), HTML(text: Format.short(p.dataRoot)),
             HTML(text: "\(p.contributed)"), HTML(text: Format.cairn(p.earned))]
        }
        let rounds = detail.rounds.reversed().map { r in
            [HTML(text: "\(r.round)"), Links.block(r.endHeight), HTML(text: "\(r.submitted.count) of \(r.shared.count)"),
             HTML(text: r.dropped.isEmpty ? "–" : "\(r.dropped.count)"), HTML(text: Format.short(r.aggregateHash)), HTML(text: Format.cairn(r.rewardEach))]
        }
        let body: HTML = """
            <h1>Training job #\(id)</h1>
            \(Table.facts(facts))
            <h2>Participants</h2>
            \(Table.make(["Data owner", "Records", "Data root", "Rounds in", "Earned"], people, numeric: [1, 3, 4], empty: "Nobody has joined yet."))
            <h2>Rounds</h2>
            \(Table.make(["Round", "Aggregated in", "Updates", "Dropped out", "Aggregate", "Paid each"], rounds, numeric: [0, 2, 3, 5],
                         empty: "No round aggregated yet."))
            """
        return .page(title: "Training job \(id)", body: body)
    }
}
