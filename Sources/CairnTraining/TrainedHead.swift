public import CairnPrimitives

/// A finished job's model as one canonical artifact: the base model it reads, its labels, the head's shape, the
/// fixed-point scale and the parameters. Its SHA-256 is the weights hash the model is registered under, so anyone
/// holding the chain's records can rebuild the file and check it.
public struct TrainedHead: Sendable, Equatable, CanonicalCodable {
    public var job: UInt64
    public var baseModel: UInt64
    public var labels: [String]
    public var head: HeadSpec
    public var fixedPointBits: UInt8
    /// Signed fixed-point parameters as two's-complement words, in the head's layout.
    public var weights: [UInt32]

    public init(job: UInt64, baseModel: UInt64, labels: [String], head: HeadSpec, fixedPointBits: UInt8, weights: [UInt32]) {
        self.job = job
        self.baseModel = baseModel
        self.labels = labels
        self.head = head
        self.fixedPointBits = fixedPointBits
        self.weights = weights
    }

    /// The parameters as reals.
    public var parameters: [Float] { SecureAggregation.dequantize(weights, bits: Int(fixedPointBits)) }

    /// The weights hash the model is registered under.
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    public func encode(to w: inout CanonicalWriter) {
        w.write("cairn-head/v1")
        w.write(job)
        w.write(baseModel)
        w.write(array: labels) { $0.write($1) }
        head.encode(to: &w)
        w.write(fixedPointBits)
        w.write(bytes: Words.bytes(weights))
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        guard try r.readString(limit: 32) == "cairn-head/v1" else { throw DecodeError("not a cairn-head/v1 file") }
        job = try r.readUInt64()
        baseModel = try r.readUInt64()
        labels = try r.readArray(limit: 256) { (r) throws(DecodeError) in try r.readString(limit: 64) }
        head = try HeadSpec(from: &r)
        fixedPointBits = try r.readUInt8()
        guard let words = Words.words(try r.readBytes(limit: 1 << 20)) else { throw DecodeError("weights are whole 4-byte words") }
        weights = words
    }
}
