public import CairnPrimitives
public import Foundation
public import CairnTraining

/// One labelled text of a participant's private data, as a line of its JSON Lines file.
public struct LabelledRecord: Sendable, Codable, Equatable {
    public var text: String
    public var label: String
    /// Optional: where the record comes from, and `train` or `test` (files that hold both).
    public var domain: String?
    public var split: String?

    public init(text: String, label: String, domain: String? = nil, split: String? = nil) {
        self.text = text
        self.label = label
        self.domain = domain
        self.split = split
    }

    /// The record's leaf in the data commitment: SHA-256 over a tag, the label and the text.
    public var leaf: Hash { Hash.sha256(parts: [Array("cairn/train/record/v1".utf8), Array(label.utf8), [0], Array(text.utf8)]) }
}

/// A participant's labelled records and the commitment it joins a job with.
public struct LabelledData: Sendable {
    public var records: [LabelledRecord]

    public init(records: [LabelledRecord]) { self.records = records }

    /// Reads a JSON Lines file of records; `split`, when given, keeps only the records of that split (records without
    /// one are kept). A line that does not parse is an error naming it.
    public static func load(_ path: String, split: String? = nil) throws -> LabelledData {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainerError("cannot read \(path)") }
        var out = [LabelledRecord]()
        let decoder = JSONDecoder()
        for (n, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let r: LabelledRecord
            do { r = try decoder.decode(LabelledRecord.self, from: Data(line.utf8)) } catch {
                throw TrainerError("\(path) line \(n + 1) is not a record {\"text\", \"label\"}: \(error)")
            }
            if let split, let s = r.split, s != split { continue }
            out.append(r)
        }
        guard !out.isEmpty else { throw TrainerError("\(path) holds no records\(split.map { " of split \($0)" } ?? "")") }
        return LabelledData(records: out)
    }

    /// The Merkle root over the records' leaves and their count: what a participant commits to when it joins.
    public var commitment: (root: Hash, count: UInt64) { (MerkleRoot.of(records.map(\.leaf)), UInt64(records.count)) }

    /// The records as examples over `features` (one vector per record, in order); records whose label is not in
    /// `labels` are an error.
    public func examples(labels: [String], features: [[Float]]) throws -> [Example] {
        precondition(features.count == records.count)
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        return try zip(records, features).map { r, x in
            guard let y = index[r.label] else { throw TrainerError("label '\(r.label)' is not one of the job's labels \(labels)") }
            return Example(features: x, label: y)
        }
    }
}

/// An error of the trainer, with a message for the person running it.
public struct TrainerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension HeadShape {
    /// The shape of a job's head.
    public init(_ spec: HeadSpec, labels: Int) { self.init(inputs: Int(spec.inputs), hidden: Int(spec.hidden), labels: labels) }
}

extension DPSGDConfig {
    /// A job's local training settings.
    public init(_ s: TrainingSettings) {
        let clip = Float(s.clipNormMilli) / 1_000
        self.init(clipNorm: s.noiseMultiplierMilli == 0 && clip >= 1_000 ? .infinity : clip, noiseMultiplier: Float(s.noiseMultiplierMilli) / 1_000,
                  learningRate: Float(s.learningRateMilli) / 1_000, epochs: Int(s.localEpochs), batchSize: Int(s.batchSize))
    }
}

/// Reading a finished job's head and measuring it on a test set: what a job's creator states when it reveals the
/// set, and what anyone recomputes from the chain's records.
public enum HeadEvaluation {
    /// The accuracy of `head` on `test` (embeddings in `features`), in basis points, rounded down.
    public static func accuracyBps(_ head: Head, test: LabelledData, features: [[Float]], labels: [String]) throws -> UInt32 {
        let examples = try test.examples(labels: labels, features: features)
        return UInt32((head.accuracy(examples) * 10_000).rounded(.down))
    }

    /// `bytes` cut into the pieces `train/reveal-test` carries.
    public static func revealPieces(job: UInt64, bytes: [UInt8], accuracyBps: UInt32) -> [MsgRevealTest] {
        stride(from: 0, to: bytes.count, by: MsgRevealTest.maxPiece).map { start in
            MsgRevealTest(jobID: job, offset: UInt64(start), total: UInt64(bytes.count),
                          bytes: Array(bytes[start..<min(bytes.count, start + MsgRevealTest.maxPiece)]), accuracyBps: accuracyBps)
        }
    }

    /// Parses a test set file (JSON Lines of records) as revealed.
    public static func parse(_ bytes: [UInt8]) throws -> LabelledData {
        var records = [LabelledRecord]()
        for (n, line) in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() where !line.allSatisfy(\.isWhitespace) {
            do { records.append(try JSONDecoder().decode(LabelledRecord.self, from: Data(line.utf8))) } catch {
                throw TrainerError("line \(n + 1) of the test set is not a record: \(error)")
            }
        }
        return LabelledData(records: records)
    }
}
