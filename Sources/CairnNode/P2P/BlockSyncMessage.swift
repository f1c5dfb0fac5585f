public import CairnPrimitives
public import CairnLedger

/// What nodes say to each other on the blocks channel: their height, requests for blocks, and blocks with the
/// certificate that decided them.
public enum BlockSyncMessage: Sendable, Equatable, CanonicalCodable {
    /// The sender's committed height.
    case status(height: UInt64)
    /// Asks for the committed block at `height`.
    case request(height: UInt64)
    /// A committed block (its canonical bytes) and its certificate.
    case block(bytes: [UInt8], certificate: CommitCertificate)

    public func encode(to w: inout CanonicalWriter) {
        switch self {
        case let .status(height):
            w.write(UInt8(1))
            w.write(height)
        case let .request(height):
            w.write(UInt8(2))
            w.write(height)
        case let .block(bytes, certificate):
            w.write(UInt8(3))
            w.write(bytes: bytes)
            certificate.encode(to: &w)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        switch try r.readUInt8() {
        case 1: self = .status(height: try r.readUInt64())
        case 2: self = .request(height: try r.readUInt64())
        case 3: self = .block(bytes: try r.readBytes(limit: 1 << 24), certificate: try CommitCertificate(from: &r))
        default: throw DecodeError("unknown block sync message kind")
        }
    }
}
