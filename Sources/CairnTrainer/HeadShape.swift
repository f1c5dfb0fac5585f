/// The shape of a head: inputs, hidden units (0: linear), labels.
///
/// The flat parameter layout is fixed because the ledger stores and averages
/// parameter vectors without knowing the architecture:
/// - linear (`hidden == 0`): `W` (labels × inputs, row-major), then `b` (labels);
/// - MLP (`hidden > 0`): `W1` (hidden × inputs), `b1` (hidden),
///   `W2` (labels × hidden), `b2` (labels), with a ReLU between the layers.
public struct HeadShape: Sendable, Equatable, Hashable {
    /// Length of a feature vector (384 for MiniLM sentence embeddings).
    public var inputs: Int
    /// Hidden units; 0 means a linear head.
    public var hidden: Int
    /// Number of classes.
    public var labels: Int

    /// Creates a shape; every dimension must be positive except `hidden`, which may be 0.
    public init(inputs: Int, hidden: Int, labels: Int) {
        precondition(inputs > 0, "a head needs at least one input")
        precondition(hidden >= 0, "hidden units cannot be negative")
        precondition(labels > 0, "a head needs at least one label")
        self.inputs = inputs
        self.hidden = hidden
        self.labels = labels
    }

    /// Whether the head is a single affine layer.
    public var isLinear: Bool { hidden == 0 }

    /// Total number of scalar parameters in the flat layout.
    public var parameterCount: Int {
        if isLinear { return labels * inputs + labels }
        return hidden * inputs + hidden + labels * hidden + labels
    }

    // Offsets into the flat vector. For a linear head the "first layer" is the
    // whole head, so its rows are the labels and the second layer is empty.

    /// Output units of the first affine layer.
    var firstLayerOutputs: Int { isLinear ? labels : hidden }
    /// Start of the first layer's weight matrix.
    var firstWeightsOffset: Int { 0 }
    /// Start of the first layer's bias.
    var firstBiasOffset: Int { firstLayerOutputs * inputs }
    /// Start of `W2` (MLP only).
    var secondWeightsOffset: Int { firstBiasOffset + firstLayerOutputs }
    /// Start of `b2` (MLP only).
    var secondBiasOffset: Int { secondWeightsOffset + labels * hidden }
}

/// One labelled feature vector.
public struct Example: Sendable, Equatable {
    /// The input, of length `HeadShape.inputs`.
    public var features: [Float]
    /// The class index, in `0..<HeadShape.labels`.
    public var label: Int

    /// Creates an example.
    public init(features: [Float], label: Int) {
        self.features = features
        self.label = label
    }
}
