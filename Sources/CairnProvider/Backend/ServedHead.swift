public import CairnTrainer
public import CairnTraining
import CairnPrimitives

/// A trained classifier head the provider serves (`POST /v1/cairn/classify`): the registered model it is, the head
/// read from its file, and the served embedding model it reads (the job's base model).
public struct ServedHead: Sendable {
    /// The head's registry entry and prices; clients name it in `model`.
    public var served: ServedModel
    public var head: Head
    public var labels: [String]
    /// The served model that embeds the texts (the head's base model).
    public var base: ServedModel

    public init(served: ServedModel, head: Head, labels: [String], base: ServedModel) {
        self.served = served
        self.head = head
        self.labels = labels
        self.base = base
    }

    /// Whether a file is a trained head (the extension `cairn train export` writes).
    public static func isHeadFile(_ path: String) -> Bool { path.hasSuffix(".head") }

    /// The head in `bytes` (a `TrainedHead` as the chain hashes it) as a classifier.
    public static func load(_ bytes: [UInt8]) throws -> (TrainedHead, Head) {
        let trained: TrainedHead
        do { trained = try TrainedHead(canonicalBytes: bytes) } catch {
            throw ProviderError(.configuration, "not a trained head file: \(error)")
        }
        guard trained.head.inputs >= 1, !trained.labels.isEmpty else { throw ProviderError(.configuration, "the head file has no inputs or no labels") }
        let shape = HeadShape(trained.head, labels: trained.labels.count)
        guard trained.weights.count == shape.parameterCount else {
            throw ProviderError(.configuration, "the head file has \(trained.weights.count) parameters, its shape \(shape.parameterCount)")
        }
        return (trained, Head.of(trained))
    }
}
