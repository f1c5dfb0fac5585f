public import CairnPrimitives

/// Something that happened during execution, for clients and indexers (`bank.transfer`, `fee.burn`, ...).
public struct Event: Sendable, Equatable, Codable, CanonicalCodable {
    /// `module.kind`.
    public var type: String
    /// Ordered key/value attributes.
    public var attributes: [Attribute]

    /// One attribute of an event.
    public struct Attribute: Sendable, Equatable, Codable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(type: String, _ attributes: [(String, String)]) {
        self.type = type
        self.attributes = attributes.map { Attribute($0.0, $0.1) }
    }

    /// The value of the first attribute named `key`.
    public subscript(key: String) -> String? { attributes.first { $0.key == key }?.value }

    public func encode(to w: inout CanonicalWriter) {
        w.write(type)
        w.write(array: attributes) { w, a in
            w.write(a.key)
            w.write(a.value)
        }
    }

    public init(from r: inout CanonicalReader) throws(DecodeError) {
        type = try r.readString()
        attributes = try r.readArray { (r: inout CanonicalReader) throws(DecodeError) in
            Attribute(try r.readString(), try r.readString())
        }
    }
}
